"""What the numbering-rule API reads and writes."""

from __future__ import annotations

from typing import Literal

import msgspec

Kind = Literal["quote", "contract", "order", "invoice", "payment"]


class NumberingRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    pattern: str
    reset: str = "never"


class NumberingRuleOut(msgspec.Struct):
    kind: str
    pattern: str
    reset: str
    example: str  # what the next number would look like today with sequence 1
