"""The plans of the catalogue as Stripe products and prices (``python -m guanxi billing sync-plans``).

Each plan with prices is one Stripe product, found by the id the plans file keeps, else by its metadata
``guanxi_plan=<key>``, else made; its name follows the plan, and it is active while the plan is on sale
(``public``). Stripe's prices cannot change: a price whose stored id is unknown, or whose amount, currency or
interval differ from the file, gets a new recurring per-seat price (metadata ``guanxi_plan``, lookup key
``<plan>_<currency>_<interval>``) and the one it replaces is deactivated (subscriptions on it go on; nobody new can
buy it). A price already made with that lookup key and the right terms is taken over, so a run stopped half-way
(or whose file was not written) is finished by the next one without duplicates. A second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
import stripe

from guanxi.domain.billing.plans import Catalogue, CatalogueError, Plan, Price

METADATA_KEY = "guanxi_plan"


@dataclass(frozen=True)
class Step:
    plan: str
    text: str
    changed: bool = True

    def __str__(self) -> str:
        return f"{self.plan}: {self.text}"


@dataclass
class SyncResult:
    catalogue: Catalogue  # with the ids Stripe holds now (the same as before after a dry run)
    steps: list[Step] = field(default_factory=list)

    @property
    def changes(self) -> list[Step]:
        return [step for step in self.steps if step.changed]


def lookup_key(plan: Plan, price: Price) -> str:
    return f"{plan.key}_{price.currency.lower()}_{price.interval}"


def minor_units(plan: Plan, price: Price) -> int:
    """Stripe's ``unit_amount``: the amount in cents (fen, euro cents); sub-cent amounts are refused."""
    cents = price.amount * 100
    if cents != cents.to_integral_value():
        raise CatalogueError(f"plans.{plan.key}.prices: {price.currency} {price.amount} is not a whole cent")
    return int(cents)


def _label(price: Price) -> str:
    return f"price {price.currency}/{price.interval} {price.amount.quantize(Decimal('0.01'))}"


def _plan_of(product: stripe.Product) -> str | None:
    """The plan key in the product's metadata (Stripe's objects are not dicts)."""
    metadata = product.to_dict().get("metadata") or {}
    key = metadata.get(METADATA_KEY)
    return str(key) if key else None


def _missing(error: stripe.InvalidRequestError) -> bool:
    return error.http_status == 404 or error.code == "resource_missing"


class _Sync:
    def __init__(self, client: stripe.StripeClient, dry_run: bool) -> None:
        self.client = client
        self.dry_run = dry_run
        self.steps: list[Step] = []
        self._by_metadata: dict[str, stripe.Product] | None = None

    def say(self, plan: Plan, text: str, *, changed: bool = True) -> None:
        self.steps.append(Step(plan.key, text, changed))

    async def products_by_plan(self) -> dict[str, stripe.Product]:
        """Stripe's products named by a plan key in their metadata (read once; the active one when there are two)."""
        if self._by_metadata is None:
            found: dict[str, stripe.Product] = {}
            listed = await self.client.v1.products.list_async(params={"limit": 100})
            async for product in listed.auto_paging_iter():
                key = _plan_of(product)
                if key and (key not in found or (product.active and not found[key].active)):
                    found[key] = product
            self._by_metadata = found
        return self._by_metadata

    async def product(self, plan: Plan) -> str | None:
        """The plan's product id, in step with the plan (None: it would be made, in a dry run)."""
        product: stripe.Product | None = None
        if plan.stripe_product_id:
            try:
                product = await self.client.v1.products.retrieve_async(plan.stripe_product_id)
            except stripe.InvalidRequestError as error:
                if not _missing(error):
                    raise
                self.say(plan, f"product {plan.stripe_product_id} is not on Stripe", changed=False)
        if product is None:
            product = (await self.products_by_plan()).get(plan.key)
            if product is not None:
                self.say(plan, f"product {product.id} found on Stripe by its metadata {METADATA_KEY}={plan.key}")
        if product is None:
            if self.dry_run:
                self.say(plan, f"would create product {plan.name!r}")
                return None
            made = await self.client.v1.products.create_async(
                params={"name": plan.name, "active": plan.public, "metadata": {METADATA_KEY: plan.key}}
            )
            self.say(plan, f"created product {made.id} {plan.name!r}")
            return made.id
        wanted: dict[str, Any] = {}
        if product.name != plan.name:
            wanted["name"] = plan.name
        if bool(product.active) != plan.public:
            wanted["active"] = plan.public
        if _plan_of(product) != plan.key:
            wanted["metadata"] = {METADATA_KEY: plan.key}
        if wanted:
            if not self.dry_run:
                await self.client.v1.products.update_async(product.id, params=wanted)  # type: ignore[arg-type]
            shown = ", ".join(f"{k} {v!r}" for k, v in wanted.items())
            self.say(plan, f"{'would update' if self.dry_run else 'updated'} product {product.id}: {shown}")
        else:
            self.say(plan, f"product {product.id} in step", changed=False)
        return product.id

    def matches(self, found: stripe.Price, product_id: str, plan: Plan, price: Price) -> bool:
        recurring = found.recurring
        return (
            found.product == product_id
            and found.unit_amount == minor_units(plan, price)
            and found.currency == price.currency.lower()
            and recurring is not None
            and recurring.interval == price.interval
        )

    async def price(self, plan: Plan, product_id: str | None, price: Price) -> str | None:
        """The price's id on Stripe, in step with the file (None: it would be made, in a dry run)."""
        label = _label(price)
        if product_id is None:  # a product still to make has no prices yet
            self.say(plan, f"would create {label}")
            return None
        current: stripe.Price | None = None
        if price.stripe_price_id:
            try:
                current = await self.client.v1.prices.retrieve_async(price.stripe_price_id)
            except stripe.InvalidRequestError as error:
                if not _missing(error):
                    raise
        if current is not None and self.matches(current, product_id, plan, price):
            if not current.active:
                if not self.dry_run:
                    await self.client.v1.prices.update_async(current.id, params={"active": True})
                self.say(plan, f"{label}: {'would reactivate' if self.dry_run else 'reactivated'} {current.id}")
            else:
                self.say(plan, f"{label} in step ({current.id})", changed=False)
            return current.id
        key = lookup_key(plan, price)
        holders = list((await self.client.v1.prices.list_async(params={"lookup_keys": [key], "limit": 10})).data)
        adopted = next((p for p in holders if self.matches(p, product_id, plan, price)), None)
        replaced = [p for p in [current, *holders] if p is not None and p.active and p is not adopted]
        replaced = [p for i, p in enumerate(replaced) if p.id not in {q.id for q in replaced[:i]}]
        gone = f"; {', '.join(p.id for p in replaced)} deactivated" if replaced else ""
        if self.dry_run:
            what = f"take over {adopted.id} (lookup key {key})" if adopted else "create a new one"
            gone = f"; would deactivate {', '.join(p.id for p in replaced)}" if replaced else ""
            self.say(plan, f"{label}: would {what}{gone}")
            return price.stripe_price_id
        if adopted is not None:
            if not adopted.active:
                await self.client.v1.prices.update_async(adopted.id, params={"active": True})
            new_id = adopted.id
            self.say(plan, f"{label}: took over {new_id} (lookup key {key}){gone}")
        else:
            made = await self.client.v1.prices.create_async(params={
                "product": product_id, "currency": price.currency.lower(), "unit_amount": minor_units(plan, price),
                "recurring": {"interval": price.interval, "usage_type": "licensed"},
                "nickname": f"{plan.name} {price.currency}/{price.interval} per seat",
                "metadata": {METADATA_KEY: plan.key}, "lookup_key": key, "transfer_lookup_key": True,
            })  # fmt: skip
            new_id = made.id
            self.say(plan, f"{label}: created {new_id}{gone}")
        for old in replaced:
            await self.client.v1.prices.update_async(old.id, params={"active": False})
        return new_id


async def sync_plans(client: stripe.StripeClient, catalogue: Catalogue, *, dry_run: bool = False) -> SyncResult:
    """Make Stripe hold the catalogue's plans; the catalogue with Stripe's ids and what was done (or, ``dry_run``,
    what would be: nothing is changed on Stripe). Stripe's errors are raised as they come."""
    sync = _Sync(client, dry_run)
    for plan in catalogue.plans:  # amounts checked before anything is sent
        for price in plan.prices:
            minor_units(plan, price)
    plans: list[Plan] = []
    for plan in catalogue.plans:
        if not plan.prices:
            sync.say(plan, "no prices: not sold through Stripe", changed=False)
            plans.append(plan)
            continue
        product_id = await sync.product(plan)
        prices = [msgspec.structs.replace(price, stripe_price_id=await sync.price(plan, product_id, price))
                  for price in plan.prices]  # fmt: skip
        if dry_run:
            plans.append(plan)
        else:
            plans.append(msgspec.structs.replace(plan, stripe_product_id=product_id, prices=prices))
    return SyncResult(msgspec.structs.replace(catalogue, plans=plans), sync.steps)
