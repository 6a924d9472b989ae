"""Invitations as the API sends them."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class InvitationOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    role: str
    status: str
    expires_at: dt.datetime
    created_at: dt.datetime


class InvitationPreview(msgspec.Struct):
    workspace_name: str
    email: str
    role: str
    invited_by: str | None
    expires_at: dt.datetime
    account_exists: bool
