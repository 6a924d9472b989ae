"""Churn early warning (a risk score per owned customer from explainable signals) and churn analytics."""
