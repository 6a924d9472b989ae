"""Workspace settings as the API sends them (the web decodes the same shape)."""

from __future__ import annotations

import msgspec


class WorkspaceSettingsOut(msgspec.Struct):
    company_name: str = ""
    locale: str = ""
    currency: str = ""
    timezone: str = ""
    audit_retention_days: int = 365
    require_two_factor: bool = False
    payment_reminder_days: int = 3
