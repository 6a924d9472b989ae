from __future__ import annotations

import uuid
from decimal import Decimal

import msgspec


class StageOut(msgspec.Struct):
    id: uuid.UUID
    key: str
    name: str
    position: int
    probability: Decimal
    outcome: str


class PipelineOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    stages: list[StageOut]
