"""The plans an installation sells: prices per currency and interval, limits, and the features each switches on.

The operator describes them in a TOML file (``GUANXI_PLANS_FILE``, see docs/billing.md); without one the built-in
catalogue below applies. A plan's Stripe price ids live beside its prices, and ``python -m guanxi billing
sync-plans`` creates the products and prices on Stripe that have none yet and writes their ids back to the file.

A limit of ``None`` is "unlimited". Features are names the product checks (``grading``, ``churn``, ``portal``,
``api``, ``scheduled_reports``…): a plan without one hides and refuses it.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from guanxi.config import get_settings

CURRENCIES = ("CNY", "USD", "EUR")
INTERVALS = ("month", "year")
Interval = Literal["month", "year"]
LIMITS = ("seats", "records", "storage_mb", "api_calls_per_day", "scheduled_reports")
FEATURES = ("grading", "churn", "reports_builder", "scheduled_reports", "api", "portal", "sso")

Key = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Count = Annotated[int, msgspec.Meta(ge=0)] | None


class Price(msgspec.Struct, forbid_unknown_fields=True):
    currency: Literal["CNY", "USD", "EUR"]
    interval: Interval
    amount: Decimal  # per seat and interval, in the currency's major unit
    stripe_price_id: str | None = None


class Limits(msgspec.Struct, forbid_unknown_fields=True):
    seats: Count = None
    records: Count = None  # customers, contacts, leads and deals together
    storage_mb: Count = None
    api_calls_per_day: Count = None
    scheduled_reports: Count = None


class Plan(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    name: str
    prices: list[Price] = []
    limits: Limits = msgspec.field(default_factory=Limits)
    features: list[str] = []
    public: bool = True  # shown on the pricing page (the trial is not sold)
    stripe_product_id: str | None = None

    def price(self, currency: str, interval: str) -> Price | None:
        return next((p for p in self.prices if p.currency == currency and p.interval == interval), None)

    def has(self, feature: str) -> bool:
        return feature in self.features


class Catalogue(msgspec.Struct, forbid_unknown_fields=True):
    trial_plan: Key
    plans: list[Plan]

    def plan(self, key: str) -> Plan | None:
        return next((p for p in self.plans if p.key == key), None)

    def by_price(self, stripe_price_id: str) -> Plan | None:
        return next((p for p in self.plans for price in p.prices if price.stripe_price_id == stripe_price_id), None)


def _prices(cny: int, usd: int, eur: int) -> list[Price]:
    """Monthly per seat, and the year for ten months."""
    monthly = {"CNY": cny, "USD": usd, "EUR": eur}
    return [Price(currency=c, interval=i, amount=Decimal(a * (10 if i == "year" else 1)))  # type: ignore[arg-type]
            for c, a in monthly.items() for i in INTERVALS]  # fmt: skip


BUILT_IN = Catalogue(
    trial_plan="trial",
    plans=[
        Plan(key="trial", name="Trial", public=False, features=list(FEATURES),
             limits=Limits(seats=5, records=5_000, storage_mb=1_024, api_calls_per_day=5_000, scheduled_reports=3)),
        Plan(key="starter", name="Starter", prices=_prices(49, 9, 8), features=["api"],
             limits=Limits(seats=10, records=10_000, storage_mb=2_048, api_calls_per_day=10_000,
                           scheduled_reports=0)),
        Plan(key="growth", name="Growth", prices=_prices(99, 19, 17),
             features=["grading", "churn", "reports_builder", "scheduled_reports", "api"],
             limits=Limits(seats=50, records=200_000, storage_mb=20_480, api_calls_per_day=100_000,
                           scheduled_reports=20)),
        Plan(key="pro", name="Pro", prices=_prices(199, 39, 35), features=list(FEATURES),
             limits=Limits(seats=None, records=None, storage_mb=102_400, api_calls_per_day=1_000_000,
                           scheduled_reports=None)),
    ],
)  # fmt: skip


class CatalogueError(ValueError):
    """The plans file cannot be used; the message names the place."""


def check(catalogue: Catalogue) -> Catalogue:
    """Rules msgspec cannot say: unique keys, known features, one price per currency and interval, a trial plan."""
    keys = [p.key for p in catalogue.plans]
    if len(set(keys)) != len(keys):
        raise CatalogueError("plans: each key once")
    if catalogue.plan(catalogue.trial_plan) is None:
        raise CatalogueError(f"trial_plan: no plan {catalogue.trial_plan!r}")
    for plan in catalogue.plans:
        unknown = sorted(set(plan.features) - set(FEATURES))
        if unknown:
            raise CatalogueError(f"plans.{plan.key}.features: unknown {', '.join(unknown)}")
        pairs = [(p.currency, p.interval) for p in plan.prices]
        if len(set(pairs)) != len(pairs):
            raise CatalogueError(f"plans.{plan.key}.prices: one price per currency and interval")
        if any(p.amount < 0 for p in plan.prices):
            raise CatalogueError(f"plans.{plan.key}.prices: amounts are not negative")
    return catalogue


def read(path: Path) -> Catalogue:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return check(msgspec.convert(raw, Catalogue, strict=False))
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as error:
        raise CatalogueError(f"{path}: {error}") from error


def write(path: Path, catalogue: Catalogue) -> None:
    """The catalogue back as TOML (after ``sync-plans`` filled in the Stripe ids)."""
    lines = [f'trial_plan = "{catalogue.trial_plan}"', ""]
    for plan in catalogue.plans:
        lines += ["[[plans]]", f"key = {_toml(plan.key)}", f"name = {_toml(plan.name)}",
                  f"public = {'true' if plan.public else 'false'}",
                  f"features = [{', '.join(_toml(f) for f in plan.features)}]"]  # fmt: skip
        if plan.stripe_product_id:
            lines.append(f"stripe_product_id = {_toml(plan.stripe_product_id)}")
        limits = {name: getattr(plan.limits, name) for name in LIMITS if getattr(plan.limits, name) is not None}
        lines.append("limits = { " + ", ".join(f"{k} = {v}" for k, v in limits.items()) + " }")
        for price in plan.prices:
            fields = [f"currency = {_toml(price.currency)}", f"interval = {_toml(price.interval)}",
                      f'amount = "{price.amount}"']  # fmt: skip
            if price.stripe_price_id:
                fields.append(f"stripe_price_id = {_toml(price.stripe_price_id)}")
            lines += ["[[plans.prices]]", *fields]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _toml(value: str) -> str:
    return msgspec.json.encode(value).decode()  # a JSON string is a valid TOML basic string


@lru_cache
def catalogue() -> Catalogue:
    path = get_settings().plans_file
    return read(Path(path)) if path else BUILT_IN
