"""Adding up line items: discounts and tax rounded per line, the margin only when every product's cost is known."""

from __future__ import annotations

from decimal import Decimal

from guanxi.domain.products.lines import tier_price, totals


def line(
    quantity: str, unit_price: str, net: str, tax: str = "0", cost: str | None = None, product: bool = True
) -> dict:
    return {"quantity": Decimal(quantity), "unit_price": Decimal(unit_price), "net_amount": Decimal(net),
            "tax_amount": Decimal(tax), "unit_cost": None if cost is None else Decimal(cost),
            "product_id": "p" if product else None}  # fmt: skip


def test_totals_add_the_lines_and_show_the_discount_given_and_the_margin() -> None:
    summed = totals([line("3", "100.00", "270.00", "35.10", cost="60.00"), line("1", "9.99", "9.99", cost="4.00")])
    assert (summed.subtotal, summed.discount, summed.tax, summed.total) == (
        Decimal("279.99"), Decimal("30.00"), Decimal("35.10"), Decimal("315.09"),
    )  # fmt: skip
    assert (summed.cost, summed.margin, summed.margin_percent) == (
        Decimal("184.00"),
        Decimal("95.99"),
        Decimal("34.28"),
    )


def test_a_product_without_a_cost_leaves_the_margin_unknown_but_a_free_text_line_does_not() -> None:
    assert totals([line("1", "50", "50", cost="10"), line("2", "5", "10", cost=None)]).margin is None
    free_text = totals([line("1", "50", "50", cost="10"), line("1", "20", "20", product=False)])
    assert (free_text.cost, free_text.margin) == (Decimal("10"), Decimal("60"))
    assert totals([]).margin_percent is None


def test_the_highest_tier_reached_sets_the_unit_price() -> None:
    tiers = [{"min_quantity": "10", "unit_price": "90"}, {"min_quantity": "100", "unit_price": "80"}]
    assert tier_price(Decimal(100), tiers, Decimal("9.999")) == (Decimal(100), None)
    assert tier_price(Decimal(100), tiers, Decimal(10)) == (Decimal(90), Decimal(10))
    assert tier_price(Decimal(100), tiers, Decimal(500)) == (Decimal(80), Decimal(100))
