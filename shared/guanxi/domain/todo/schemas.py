"""What the to-do API answers."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import msgspec


class TodoItem(msgspec.Struct):
    record_type: str  # activity | account | quote | contract | instalment …: what the item opens
    record_id: uuid.UUID
    title: str
    detail: str | None  # the customer's name, the rule, the amount: what the line needs besides its title
    due: dt.datetime | None
    overdue: bool
    account_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    days_left: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    kind: str | None = None  # the activity's kind, the document's status: for the icon
    grade: str | None = None  # the customer's grade (A first in the queues that follow grades)


class TodoSection(msgspec.Struct):
    key: str  # follow_ups | pool_returns | payments_due | contracts_expiring | quotes_waiting | orders_to_fulfil
    count: int  # all of them, of which ``items`` are the first
    items: list[TodoItem]


class TodoOut(msgspec.Struct):
    sections: list[TodoSection]
