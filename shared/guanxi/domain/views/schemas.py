"""Shapes of saved views."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from guanxi.domain.customers.schemas import BulkFilter


class ViewIn(msgspec.Struct, forbid_unknown_fields=True):
    module: Literal["customers", "contacts"]
    name: str
    filters: BulkFilter = msgspec.field(default_factory=BulkFilter)
    sort: str = "-updated_at"
    columns: list[str] = []
    shared: bool = False  # seen by the whole team; only admins may share


class ViewPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    filters: BulkFilter | UnsetType = UNSET
    sort: str | UnsetType = UNSET
    columns: list[str] | UnsetType = UNSET
    shared: bool | UnsetType = UNSET


class ViewOut(msgspec.Struct):
    id: uuid.UUID
    module: str
    name: str
    filters: BulkFilter
    sort: str
    columns: list[str]
    shared: bool
    owner_id: uuid.UUID
    mine: bool
    created_at: dt.datetime
