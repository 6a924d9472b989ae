"""``python -m guanxi billing sync-plans`` against the local Stripe-compatible server: products and prices made for
a copy of the tests' plans file and their ids written back, a second run that changes nothing, a new price (and the
old one deactivated) when an amount changes, a dry run that changes nothing, a clear refusal without a plans file."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from guanxi.domain.billing.plans import Catalogue, read
from guanxi.domain.billing.service import stripe_client
from guanxi.domain.billing.sync import SyncResult, sync_plans

from tests.api import test_billing_checkout

stripe_server = test_billing_checkout.stripe_server  # the fixture: the stand-in on this worker's port
PLANS = Path(__file__).parents[2] / "plans.toml"


@pytest.fixture
def fresh_stripe(stripe_server: str) -> Iterator[httpx.Client]:
    """The stand-in with nothing on it (a Stripe account of the test's own)."""
    with httpx.Client(base_url=stripe_server) as stripe_api:
        stripe_api.post("/_local/reset").raise_for_status()
        yield stripe_api


@pytest.fixture
def plans_file(tmp_path: Path) -> Path:
    """A copy of the tests' plans: its Stripe ids name nothing on the fresh stand-in."""
    path = tmp_path / "plans.toml"
    shutil.copy(PLANS, path)
    return path


def sync_command(*arguments: str, plans: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "GUANXI_PLANS_FILE"}
    if plans is not None:
        env["GUANXI_PLANS_FILE"] = str(plans)
    return subprocess.run([sys.executable, "-m", "guanxi", "billing", "sync-plans", *arguments], env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def synced(catalogue: Catalogue) -> SyncResult:
    return asyncio.run(sync_plans(stripe_client(), catalogue))


def listed(stripe_api: httpx.Client, kind: str, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = stripe_api.get(f"/v1/{kind}", params={"limit": 100, **query}).json()["data"]
    return found


def sold_prices(catalogue: Catalogue) -> int:
    return sum(len(plan.prices) for plan in catalogue.plans)


def with_amount(catalogue: Catalogue, plan_key: str, currency: str, interval: str, amount: str) -> Catalogue:
    plans = []
    for plan in catalogue.plans:
        prices = [msgspec.structs.replace(p, amount=Decimal(amount))
                  if (plan.key, p.currency, p.interval) == (plan_key, currency, interval) else p
                  for p in plan.prices]  # fmt: skip
        plans.append(msgspec.structs.replace(plan, prices=prices))
    return msgspec.structs.replace(catalogue, plans=plans)


def test_sync_plans_makes_products_and_prices_and_writes_their_ids(
    fresh_stripe: httpx.Client, plans_file: Path
) -> None:
    made = sync_command(plans=plans_file)
    assert made.returncode == 0, made.stderr
    assert "created product" in made.stdout and "the ids are written to" in made.stdout
    assert "trial: no prices: not sold through Stripe" in made.stdout
    catalogue = read(plans_file)
    products = {p["id"]: p for p in listed(fresh_stripe, "products")}
    prices = {p["id"]: p for p in listed(fresh_stripe, "prices")}
    assert len(products) == 3 and len(prices) == sold_prices(catalogue) == 18
    for plan in (p for p in catalogue.plans if p.prices):  # the trial and the tests' own plans are not sold
        product = products[plan.stripe_product_id or ""]
        assert (product["name"], product["active"], product["metadata"]) == (plan.name, True, {"guanxi_plan": plan.key})
        for price in plan.prices:
            stripe_price = prices[price.stripe_price_id or ""]
            assert stripe_price["product"] == product["id"] and stripe_price["active"]
            assert stripe_price["unit_amount"] == int(price.amount * 100)
            assert stripe_price["currency"] == price.currency.lower()
            assert stripe_price["recurring"] == {"interval": price.interval, "usage_type": "licensed"}
            assert stripe_price["lookup_key"] == f"{plan.key}_{price.currency.lower()}_{price.interval}"
            assert stripe_price["metadata"] == {"guanxi_plan": plan.key}
    written = plans_file.read_bytes()

    again = sync_command("--file", str(plans_file))  # the same file, named on the command line
    assert again.returncode == 0, again.stderr
    assert again.stdout.rstrip().endswith(f"in step: nothing changed on Stripe or in {plans_file}")
    assert "*" not in again.stdout
    assert plans_file.read_bytes() == written
    assert len(listed(fresh_stripe, "products")) == 3 and len(listed(fresh_stripe, "prices")) == 18


def test_a_changed_amount_makes_a_new_price_and_deactivates_the_old(
    fresh_stripe: httpx.Client, plans_file: Path
) -> None:
    first = (synced(read(plans_file))).catalogue
    old = first.plan("growth").price("CNY", "month").stripe_price_id  # type: ignore[union-attr]
    dearer = with_amount(first, "growth", "CNY", "month", "109")
    result = synced(dearer)
    new = result.catalogue.plan("growth").price("CNY", "month").stripe_price_id  # type: ignore[union-attr]
    assert [str(step) for step in result.changes] == [
        f"growth: price CNY/month 109.00: created {new}; {old} deactivated"
    ]
    assert new != old
    assert fresh_stripe.get(f"/v1/prices/{old}").json()["active"] is False
    fresh = fresh_stripe.get(f"/v1/prices/{new}").json()
    assert (fresh["active"], fresh["unit_amount"], fresh["lookup_key"]) == (True, 10900, "growth_cny_month")
    assert fresh_stripe.get(f"/v1/prices/{old}").json()["lookup_key"] is None  # the key moved to the new price
    assert [p.stripe_product_id for p in result.catalogue.plans] == [p.stripe_product_id for p in first.plans]
    assert (synced(result.catalogue)).changes == []


def test_a_renamed_plan_taken_off_sale_updates_its_product(fresh_stripe: httpx.Client, plans_file: Path) -> None:
    first = (synced(read(plans_file))).catalogue
    plans = [msgspec.structs.replace(p, name="Starter 2027", public=False) if p.key == "starter" else p
             for p in first.plans]  # fmt: skip
    result = synced(msgspec.structs.replace(first, plans=plans))
    product_id = first.plan("starter").stripe_product_id  # type: ignore[union-attr]
    assert [str(step) for step in result.changes] == [
        f"starter: updated product {product_id}: name 'Starter 2027', active False"
    ]
    product = fresh_stripe.get(f"/v1/products/{product_id}").json()
    assert (product["name"], product["active"]) == ("Starter 2027", False)


def test_a_run_whose_ids_were_never_written_takes_over_what_it_made(
    fresh_stripe: httpx.Client, plans_file: Path
) -> None:
    """A run stopped before it wrote the file: the next one finds the products by metadata and the prices by
    lookup key, and makes no duplicates."""
    original = read(plans_file)
    made = (synced(original)).catalogue
    result = synced(original)
    assert result.catalogue == made
    assert len(listed(fresh_stripe, "products")) == 3 and len(listed(fresh_stripe, "prices")) == 18
    assert len(listed(fresh_stripe, "prices", active="true")) == 18


def test_a_dry_run_says_what_would_change_and_changes_nothing(fresh_stripe: httpx.Client, plans_file: Path) -> None:
    before = plans_file.read_bytes()
    dry = sync_command("--dry-run", plans=plans_file)
    assert dry.returncode == 0, dry.stderr
    assert "would create product 'Growth'" in dry.stdout and "would create price CNY/month 99.00" in dry.stdout
    assert "dry run: 21 change(s) would be made" in dry.stdout
    assert plans_file.read_bytes() == before
    assert listed(fresh_stripe, "products") == [] and listed(fresh_stripe, "prices") == []


def test_without_a_plans_file_the_command_says_what_to_do(fresh_stripe: httpx.Client, tmp_path: Path) -> None:
    refused = sync_command()
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "no plans file: set GUANXI_PLANS_FILE or pass --file PATH" in refused.stderr
    broken = tmp_path / "plans.toml"
    broken.write_text('trial_plan = "trial"\nplans = []\n')
    named = sync_command("--file", str(broken))
    assert named.returncode == 1 and "Traceback" not in named.stderr and "trial_plan: no plan 'trial'" in named.stderr
    missing = sync_command("--file", str(tmp_path / "nowhere.toml"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr and "nowhere.toml" in missing.stderr
    assert listed(fresh_stripe, "products") == []
