"""Churn signals as readable phrases in the reader's language (the at-risk list and the account page)."""

from __future__ import annotations

from typing import Any

from guanxi_web.i18n import _


def signal_text(signal: dict[str, Any]) -> str:
    """One signal as a phrase in the reader's language: "no order for 95 days, usually every 30"."""
    key = signal.get("key")
    if key == "order_gap":
        return _("no order for %(days)s days, usually every %(usual)s") % {
            "days": signal["days"], "usual": signal["usual_days"]}  # fmt: skip
    if key == "falling_amount":
        return _("order amounts down %(percent)s%% on the months before") % {"percent": signal["drop_percent"]}
    if key == "overdue_payment":
        return _("%(count)s overdue instalment(s), %(amount)s outstanding") % {
            "count": signal["count"], "amount": signal["amount"]}  # fmt: skip
    if key == "no_activity":
        return _("no follow-up for %(days)s days") % {"days": signal["days"]}
    if key == "lost_deal":
        return _("%(count)s deal(s) lost in the last %(days)s days") % {
            "count": signal["count"], "days": signal["within_days"]}  # fmt: skip
    if key == "complaints":
        return _("open or repeated complaints")
    return str(key)
