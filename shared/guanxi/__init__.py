"""Guanxi CRM: the code every service imports (settings, logging, database and tenancy, domains)."""
