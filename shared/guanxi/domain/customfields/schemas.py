"""Shapes of custom field definitions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

FieldType = Literal[
    "text", "long_text", "number", "currency", "date", "single_select", "multi_select", "user", "url", "email",
    "phone", "checkbox",
]  # fmt: skip
Module = Literal["customers", "contacts"]


class OptionIn(msgspec.Struct, forbid_unknown_fields=True):
    label: str
    value: str | None = None  # derived from the label when left out; stable once records use it


class CustomFieldIn(msgspec.Struct, forbid_unknown_fields=True):
    module: Module
    label: str
    type: FieldType
    key: str | None = None  # derived from the label when left out
    options: list[OptionIn] = []
    required: bool = False
    position: int = 0


class CustomFieldPatch(msgspec.Struct, forbid_unknown_fields=True):
    label: str | UnsetType = UNSET
    options: list[OptionIn] | UnsetType = UNSET
    required: bool | UnsetType = UNSET
    position: int | UnsetType = UNSET


class Option(msgspec.Struct):
    value: str
    label: str


class CustomFieldOut(msgspec.Struct):
    id: uuid.UUID
    module: str
    key: str
    label: str
    type: str
    options: list[Option]
    required: bool
    position: int
    created_at: dt.datetime
