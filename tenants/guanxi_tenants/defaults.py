"""The defaults a new workspace starts with, in the workspace's language.

Stages follow the usual B2B sales path of a small company; grading follows the weighted model the
product is specified from (credit 10 %, order amount 30 %, profit contribution 60 %), with A/B/C given
by rank and complaint response times by grade (3 days for A, 5 for the rest).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict


class StageDefault(TypedDict):
    key: str
    name: dict[str, str]
    probability: Decimal
    outcome: str


class CriterionDefault(TypedDict):
    key: str
    name: dict[str, str]
    weight: Decimal


class BandDefault(TypedDict):
    grade: str
    share_percent: Decimal
    complaint_response_days: int


PIPELINE_NAME = {"en": "Sales", "zh-Hans": "销售流程", "zh-Hant": "銷售流程"}

PIPELINE_STAGES: list[StageDefault] = [
    {
        "key": "qualify",
        "name": {"en": "Qualification", "zh-Hans": "初步接洽", "zh-Hant": "初步接洽"},
        "probability": Decimal(10),
        "outcome": "open",
    },
    {
        "key": "needs",
        "name": {"en": "Needs analysis", "zh-Hans": "需求确认", "zh-Hant": "需求確認"},
        "probability": Decimal(30),
        "outcome": "open",
    },
    {
        "key": "proposal",
        "name": {"en": "Proposal / quote", "zh-Hans": "方案报价", "zh-Hant": "方案報價"},
        "probability": Decimal(50),
        "outcome": "open",
    },
    {
        "key": "negotiation",
        "name": {"en": "Negotiation", "zh-Hans": "谈判审核", "zh-Hant": "談判審核"},
        "probability": Decimal(75),
        "outcome": "open",
    },
    {
        "key": "won",
        "name": {"en": "Won", "zh-Hans": "赢单", "zh-Hant": "贏單"},
        "probability": Decimal(100),
        "outcome": "won",
    },
    {
        "key": "lost",
        "name": {"en": "Lost", "zh-Hans": "输单", "zh-Hant": "輸單"},
        "probability": Decimal(0),
        "outcome": "lost",
    },
]

GRADING_CRITERIA: list[CriterionDefault] = [
    {
        "key": "credit",
        "name": {"en": "Credit standing", "zh-Hans": "信用状况", "zh-Hant": "信用狀況"},
        "weight": Decimal(10),
    },
    {
        "key": "order_amount",
        "name": {"en": "Order amount", "zh-Hans": "下单金额", "zh-Hant": "下單金額"},
        "weight": Decimal(30),
    },
    {
        "key": "profit",
        "name": {"en": "Profit contribution", "zh-Hans": "利润贡献", "zh-Hant": "利潤貢獻"},
        "weight": Decimal(60),
    },
]

GRADE_BANDS: list[BandDefault] = [
    {"grade": "A", "share_percent": Decimal(20), "complaint_response_days": 3},
    {"grade": "B", "share_percent": Decimal(30), "complaint_response_days": 5},
    {"grade": "C", "share_percent": Decimal(50), "complaint_response_days": 5},
]

CURRENCY = {"en": "USD", "zh-Hans": "CNY", "zh-Hant": "TWD"}
TIMEZONE = {"en": "UTC", "zh-Hans": "Asia/Shanghai", "zh-Hant": "Asia/Taipei"}


def localized(names: dict[str, str], locale: str) -> str:
    return names.get(locale, names["en"])
