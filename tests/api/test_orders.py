"""Orders (订单): priced lines with the cost kept for the margin and totals stored, the status moved on with
tracking and stock, payment plans, payments never above the open amount (also when two arrive at once), voided
payments, invoices with the buyer's billing details, bad input named by field, other workspaces kept out."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_admin import join
from tests.api.test_contracts import add_contract
from tests.api.test_customers import add_account, add_contact, counted_sql
from tests.api.test_deals import add_deal
from tests.api.test_products import add_product
from tests.conftest import bearer, signed_up

BILLING = {"title": "深圳华强电子有限公司", "taxpayer_id": "91440300MA5FXXXX1A", "address": "深圳市福田区华强北路 1 号",
           "phone": "0755-88889999", "bank_name": "招商银行深圳分行", "bank_account": "7559 1234 5678 901"}  # fmt: skip


async def add_order(client: Any, who: dict[str, Any], account_id: str, **fields: Any) -> dict[str, Any]:
    line = {"name": "实施服务", "quantity": "2", "unit_price": "5000.00", "tax_rate": "6"}
    body = {"account_id": account_id, "currency": "CNY", "lines": [line], **fields}
    answer = await client.post("/api/v1/orders", json=body, headers=bearer(who))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def page(client: Any, who: dict[str, Any], order_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/orders/{order_id}", headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def status(client: Any, who: dict[str, Any], order_id: str, **body: Any) -> Any:
    return await client.post(f"/api/v1/orders/{order_id}/status", json=body, headers=bearer(who))


async def test_an_order_keeps_its_lines_cost_and_totals_and_gets_a_number(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="深圳华强电子")
    contact = await add_contact(client, owner, account["id"])
    deal = await add_deal(client, owner, account["id"])
    gateway = await add_product(client, owner, cost="1800.00")
    order = await add_order(
        client, owner, account["id"], contact_id=contact["id"], deal_id=deal["id"],
        lines=[{"product_id": gateway["id"], "quantity": "3", "unit_price": "2500.00", "discount_percent": "10",
                "tax_rate": "13"}, {"name": "安装调试", "quantity": "1", "unit_price": "800.00"}],
    )  # fmt: skip
    assert order["number"].startswith("SO-") and order["status"] == "confirmed"
    # 3 x 2500 less 10% = 6750.00, tax 877.50; plus 800: subtotal 7550, cost 5400, margin 2150
    assert (order["subtotal"], order["tax"], order["total"]) == ("7550.00", "877.50", "8427.50")
    assert (order["cost"], order["margin"], order["collected"], order["open_amount"]) == (
        "5400.00", "2150.00", "0.00", "8427.50")  # fmt: skip
    await client.patch(f"/api/v1/products/{gateway['id']}", json={"cost": "2000.00"}, headers=bearer(owner))
    got = await page(client, owner, order["id"])
    assert got["lines"][0]["unit_cost"] == "1800.00" and got["totals"]["margin"] == "2150.00"  # the cost at the time
    assert got["order"]["account_name"] == "深圳华强电子" and [line["total"] for line in got["lines"]] == [
        "7627.50", "800.00"]  # fmt: skip
    second = await add_order(client, owner, account["id"])
    assert second["number"] != order["number"]
    viewer = await join(client, owner, "viewer")  # reads every order, but not what it cost us
    seen = await page(client, viewer, order["id"])
    hidden = (seen["order"]["cost"], seen["order"]["margin"], seen["lines"][0]["unit_cost"], seen["totals"]["margin"])
    assert hidden == (None, None, None, None)
    assert seen["order"]["total"] == "8427.50"
    contract = await add_contract(client, owner, account["id"])
    under = await add_order(client, owner, account["id"], contract_id=contract["id"])
    assert under["contract_id"] == contract["id"]
    listed = await client.get("/api/v1/orders", params={"contract_id": contract["id"]}, headers=bearer(owner))
    assert [o["id"] for o in listed.json()["items"]] == [under["id"]]


async def test_shipping_takes_stock_and_cancelling_puts_it_back(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    gateway = await add_product(client, owner, stock="10")
    order = await add_order(client, owner, account["id"],
                            lines=[{"product_id": gateway["id"], "quantity": "4", "unit_price": "100"}])  # fmt: skip
    shipped = await status(
        client,
        owner,
        order["id"],
        status="shipped",
        carrier="顺丰速运",
        tracking_number="SF1234567890",
        on="2026-11-20",
    )
    assert shipped.status_code == 200, shipped.text
    assert (shipped.json()["carrier"], shipped.json()["tracking_number"], shipped.json()["shipped_on"]) == (
        "顺丰速运", "SF1234567890", "2026-11-20")  # fmt: skip
    stock = (await client.get(f"/api/v1/products/{gateway['id']}", headers=bearer(owner))).json()["stock"]
    assert stock == "6.000"
    early = await status(client, owner, order["id"], status="delivered", on="2026-11-19")
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "on"
    cancelled = await status(client, owner, order["id"], status="cancelled")
    assert cancelled.status_code == 200 and cancelled.json()["open_amount"] == "0.00"
    stock = (await client.get(f"/api/v1/products/{gateway['id']}", headers=bearer(owner))).json()["stock"]
    assert stock == "10.000"
    again = await status(client, owner, order["id"], status="shipped")
    assert again.status_code == 409 and again.json()["type"].endswith("/invalid-transition")
    delivered = await add_order(client, owner, account["id"])
    await status(client, owner, delivered["id"], status="shipped")
    assert (await status(client, owner, delivered["id"], status="delivered")).status_code == 200
    final = await status(client, owner, delivered["id"], status="cancelled")
    assert final.status_code == 409 and "final" in final.json()["errors"][0]["message"]


async def test_two_people_shipping_at_once_ship_once(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    gateway = await add_product(client, owner, stock="10")
    order = await add_order(client, owner, account["id"],
                            lines=[{"product_id": gateway["id"], "quantity": "1", "unit_price": "100"}])  # fmt: skip
    answers = await asyncio.gather(*(status(client, owner, order["id"], status="shipped") for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    stock = (await client.get(f"/api/v1/products/{gateway['id']}", headers=bearer(owner))).json()["stock"]
    assert stock == "9.000"


async def test_a_payment_plan_collects_by_instalment_and_never_above_what_is_open(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    order = await add_order(client, owner, account["id"])  # total 10600.00
    base = f"/api/v1/orders/{order['id']}"
    first = await client.post(f"{base}/instalments", json={"due_date": "2020-01-31", "amount": "6000"},
                              headers=bearer(owner))  # fmt: skip
    assert first.status_code == 201 and first.json()["status"] == "overdue", first.text
    second = await client.post(f"{base}/instalments", json={"due_date": "2099-06-30", "amount": "4000"},
                               headers=bearer(owner))  # fmt: skip
    too_much = await client.post(f"{base}/instalments", json={"due_date": "2099-07-31", "amount": "600.01"},
                                 headers=bearer(owner))  # fmt: skip
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "amount"
    assert "600.00" in too_much.json()["errors"][0]["message"]
    pay = {
        "amount": "2500",
        "method": "bank_transfer",
        "reference": "招行回单 0098",
        "instalment_id": first.json()["id"],
    }
    paid = await client.post(f"{base}/payments", json=pay, headers=bearer(owner))
    assert paid.status_code == 201, paid.text
    assert paid.json()["number"].startswith("HK-") and paid.json()["currency"] == "CNY"
    over = await client.post(f"{base}/payments", json={**pay, "amount": "3500.01"}, headers=bearer(owner))
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "amount"
    assert "3500.00" in over.json()["errors"][0]["message"]
    unplanned = await client.post(
        f"{base}/payments", json={"amount": "600.01", "method": "cash"}, headers=bearer(owner)
    )
    assert unplanned.status_code == 422 and "unplanned" in unplanned.json()["errors"][0]["message"]
    assert (await client.post(f"{base}/payments", json={"amount": "600", "method": "alipay"},
                              headers=bearer(owner))).status_code == 201  # fmt: skip
    got = await page(client, owner, order["id"])
    assert got["order"]["collected"] == "3100.00" and got["order"]["open_amount"] == "7500.00"
    assert [(i["status"], i["collected"]) for i in got["instalments"]] == [("overdue", "2500.00"), ("pending", "0.00")]
    rest = {**pay, "amount": "3500", "method": "wechat_pay", "paid_on": "2020-02-20"}
    await client.post(f"{base}/payments", json=rest, headers=bearer(owner))
    got = await page(client, owner, order["id"])
    assert [i["status"] for i in got["instalments"]] == ["paid", "pending"]
    # paid in full by the later of its two payments (the first one is dated today): grading's credit reads it
    assert got["instalments"][0]["paid_on"] == paid.json()["paid_on"] and got["instalments"][1]["paid_on"] is None
    voided = await client.post(f"{base}/payments/{paid.json()['id']}/void", headers=bearer(owner))
    assert voided.status_code == 200 and voided.json()["voided_at"] is not None
    assert (await client.post(f"{base}/payments/{paid.json()['id']}/void", headers=bearer(owner))).status_code == 409
    got = await page(client, owner, order["id"])
    assert got["order"]["collected"] == "4100.00" and got["instalments"][0]["status"] == "overdue"
    assert got["instalments"][0]["collected"] == "3500.00" and len(got["payments"]) == 3
    assert got["instalments"][0]["paid_on"] is None  # open again
    refill = await client.post(f"{base}/payments", json={**pay, "paid_on": "2020-03-01"}, headers=bearer(owner))
    assert refill.status_code == 201, refill.text
    assert (await page(client, owner, order["id"]))["instalments"][0]["paid_on"] == "2020-03-01"
    await client.post(f"{base}/payments/{refill.json()['id']}/void", headers=bearer(owner))
    in_use = await client.delete(f"{base}/instalments/{first.json()['id']}", headers=bearer(owner))
    assert in_use.status_code == 409
    gone = await client.delete(f"{base}/instalments/{second.json()['id']}", headers=bearer(owner))
    assert gone.status_code == 204
    assert (await page(client, owner, order["id"]))["instalments"][1]["status"] == "void"
    cancel = await status(client, owner, order["id"], status="cancelled")
    assert cancel.status_code == 409 and cancel.json()["type"].endswith("/order-has-payments")


async def test_two_payments_at_once_never_collect_more_than_the_total(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    order = await add_order(client, owner, account["id"])  # total 10600.00
    body = {"amount": "6000", "method": "bank_transfer"}
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/orders/{order['id']}/payments", json=body, headers=bearer(owner)) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    got = await page(client, owner, order["id"])
    assert got["order"]["collected"] == "6000.00" and len(got["payments"]) == 1


async def test_invoices_carry_the_billing_details_and_stay_within_the_order(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    order = await add_order(client, owner, account["id"])  # total 10600.00
    base = f"/api/v1/orders/{order['id']}/invoices"
    issued = await client.post(base, json={**BILLING, "amount": "10000", "kind": "vat_special"}, headers=bearer(owner))
    assert issued.status_code == 201, issued.text
    assert issued.json()["number"].startswith("INV-") and issued.json()["taxpayer_id"] == "91440300MA5FXXXX1A"
    over = await client.post(base, json={**BILLING, "amount": "600.01"}, headers=bearer(owner))
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "amount"
    for fields, field in [
        ({"taxpayer_id": "12345"}, "taxpayer_id"),
        ({"taxpayer_id": "91440300MA5FXXXXIO"}, "taxpayer_id"),
        ({"title": ""}, "title"),
        ({"bank_account": "账号"}, "bank_account"),
        ({"kind": "vat_special", "bank_name": None}, "bank_name"),
        ({"kind": "receipt"}, "kind"),
        ({"amount": "-5"}, "amount"),
    ]:
        answer = await client.post(base, json={**BILLING, "amount": "100", **fields}, headers=bearer(owner))
        assert answer.status_code in (400, 422) and field in answer.text, (fields, answer.text)
    voided = await client.post(f"{base}/{issued.json()['id']}/void", headers=bearer(owner))
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    got = await page(client, owner, order["id"])
    assert got["order"]["invoiced"] == "0.00" and [i["status"] for i in got["invoices"]] == ["void"]
    generic = await client.post(base, json={"title": "Acme Ltd", "amount": "10600", "kind": "generic"},
                                headers=bearer(owner))  # fmt: skip
    assert generic.status_code == 201, generic.text


async def test_bad_orders_are_refused_by_field_and_nothing_is_written(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    account = await add_account(client, owner)
    other = await add_account(client, owner, name="Other")
    foreign_deal = await add_deal(client, owner, other["id"])
    stranger_contact = await add_contact(client, owner, other["id"])
    foreign_contract = await add_contract(client, owner, other["id"])
    gone = await add_product(client, owner, name="Old")
    await client.delete(f"/api/v1/products/{gone['id']}", headers=bearer(owner))
    line = {"name": "x", "quantity": "1", "unit_price": "1"}
    cases: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
        ({"lines": []}, "lines", owner),
        ({"lines": [{**line, "quantity": "-1"}]}, "lines[0].quantity", owner),
        ({"lines": [line, {**line, "unit_price": "1e15"}]}, "lines[1].unit_price", owner),
        ({"lines": [{**line, "unit_price": "abc"}]}, "unit_price", owner),
        ({"lines": [{**line, "name": ""}]}, "lines[0].name", owner),
        ({"lines": [{"product_id": gone["id"], "unit_price": "1"}]}, "lines[0].product_id", owner),
        ({"lines": [{**line, "quantity": "1e8", "unit_price": "99999999"}]}, "lines[0].quantity", owner),
        ({"currency": "RMB"}, "currency", owner),
        ({"order_date": "1999-12-31"}, "order_date", owner),
        ({"deal_id": foreign_deal["id"]}, "deal_id", owner),
        ({"contact_id": stranger_contact["id"]}, "contact_id", owner),
        ({"contract_id": foreign_contract["id"]}, "contract_id", owner),
        ({"contract_id": "00000000-0000-0000-0000-000000000001"}, "contract_id", owner),
        ({"note": "长" * 5_001}, "note", owner),
        ({"surprise": 1}, "surprise", owner),
        ({"account_id": other["id"]}, "account_id", rep),
        ({"owner_id": "00000000-0000-0000-0000-000000000001"}, "owner_id", owner),
    ]
    for fields, field, who in cases:
        body = {"account_id": account["id"], "lines": [line], **fields}
        answer = await client.post("/api/v1/orders", json=body, headers=bearer(who))
        assert answer.status_code in (400, 422), (fields, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.text, (fields, answer.text)
    assert (await client.get("/api/v1/orders", headers=bearer(owner))).json()["items"] == []
    odd = await add_order(client, owner, account["id"], note="Robert'); DROP TABLE orders;-- ‮שלום 🚀")
    assert odd["note"] == "Robert'); DROP TABLE orders;-- ‮שלום 🚀" and odd["number"].endswith("0001")
    base = f"/api/v1/orders/{odd['id']}"
    for path, body, field in [
        ("/payments", {"amount": "0", "method": "cash"}, "amount"),
        ("/payments", {"amount": "-1", "method": "cash"}, "amount"),
        ("/payments", {"amount": "1", "method": "bitcoin"}, "method"),
        ("/payments", {"amount": "1", "method": "cash", "paid_on": "3000-01-01"}, "paid_on"),
        ("/payments", {"amount": "1", "method": "cash", "instalment_id": odd["id"]}, "instalment_id"),
        ("/instalments", {"due_date": "2027-01-01", "amount": "99999999999.99"}, "amount"),
        ("/instalments", {"due_date": "not a date", "amount": "1"}, "due_date"),
    ]:
        answer = await client.post(base + path, json=body, headers=bearer(owner))
        assert answer.status_code in (400, 422) and field in answer.text, (path, body, answer.text)
    got = await page(client, owner, odd["id"])
    assert (got["order"]["collected"], got["instalments"], got["payments"]) == ("0.00", [], [])


async def test_the_list_filters_and_pages_by_keyset_without_repeats_or_extra_queries(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    mine = await add_account(client, rep, name="Rep's customer")
    theirs = await add_account(client, owner)
    made = [(await add_order(client, rep, mine["id"], order_date=f"2026-10-{n + 1:02d}"))["id"] for n in range(5)]
    await add_order(client, owner, theirs["id"])
    with counted_sql() as statements:
        first = (await client.get("/api/v1/orders", params={"limit": 2}, headers=bearer(rep))).json()
    seen, cursor = [o["id"] for o in first["items"]], first["next_cursor"]
    while cursor:
        next_page = (await client.get("/api/v1/orders", params={"limit": 2, "cursor": cursor},
                                      headers=bearer(rep))).json()  # fmt: skip
        seen += [o["id"] for o in next_page["items"]]
        cursor = next_page.get("next_cursor")
    assert seen == list(reversed(made))  # newest order date first; the owner's order is outside the rep's scope
    with counted_sql() as more:
        await client.get("/api/v1/orders", params={"limit": 5}, headers=bearer(rep))
    assert len(more) == len(statements)  # no query per row
    dated = await client.get("/api/v1/orders", params={"date_from": "2026-10-02", "date_to": "2026-10-03"},
                             headers=bearer(rep))  # fmt: skip
    assert [o["id"] for o in dated.json()["items"]] == [made[2], made[1]]
    await status(client, rep, made[0], status="shipped")
    shipped = await client.get("/api/v1/orders", params={"status": "shipped"}, headers=bearer(owner))
    assert [o["id"] for o in shipped.json()["items"]] == [made[0]]
    by_account = await client.get("/api/v1/orders", params={"account_id": theirs["id"]}, headers=bearer(owner))
    assert len(by_account.json()["items"]) == 1
    assert (await page(client, owner, made[0]))["order"]["status"] == "shipped"
    hidden = await client.get(f"/api/v1/orders/{by_account.json()['items'][0]['id']}", headers=bearer(rep))
    assert hidden.status_code == 404
    bad = await client.get("/api/v1/orders", params={"cursor": "garbage"}, headers=bearer(owner))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_the_order_page_reads_in_the_same_few_queries_however_long(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    short = await add_order(client, owner, account["id"])
    line = {"name": "件", "quantity": "1", "unit_price": "10"}
    long = await add_order(client, owner, account["id"], lines=[line] * 30)
    for n in range(5):
        await client.post(f"/api/v1/orders/{long['id']}/instalments", json={"due_date": f"2027-0{n + 1}-01",
                          "amount": "10"}, headers=bearer(owner))  # fmt: skip
        await client.post(f"/api/v1/orders/{long['id']}/payments", json={"amount": "1", "method": "cash"},
                          headers=bearer(owner))  # fmt: skip
    with counted_sql() as few:
        await page(client, owner, short["id"])
    with counted_sql() as many:
        got = await page(client, owner, long["id"])
    assert len(many) == len(few) and len(got["lines"]) == 30 and len(got["payments"]) == 5


async def test_another_workspace_never_reaches_an_order(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    account = await add_account(client, owner)
    order = await add_order(client, owner, account["id"])
    base = f"/api/v1/orders/{order['id']}"
    instalment = (await client.post(f"{base}/instalments", json={"due_date": "2027-01-01", "amount": "100"},
                                    headers=bearer(owner))).json()  # fmt: skip
    payment = (await client.post(f"{base}/payments", json={"amount": "100", "method": "cash",
               "instalment_id": instalment["id"]}, headers=bearer(owner))).json()  # fmt: skip
    invoice = (await client.post(f"{base}/invoices", json={**BILLING, "amount": "100"}, headers=bearer(owner))).json()
    for method, path, body in [
        ("GET", base, None),
        ("PATCH", base, {"note": "x"}),
        ("POST", f"{base}/status", {"status": "shipped"}),
        ("POST", f"{base}/instalments", {"due_date": "2027-01-01", "amount": "1"}),
        ("DELETE", f"{base}/instalments/{instalment['id']}", None),
        ("POST", f"{base}/payments", {"amount": "1", "method": "cash"}),
        ("POST", f"{base}/payments/{payment['id']}/void", None),
        ("POST", f"{base}/invoices", {**BILLING, "amount": "1"}),
        ("POST", f"{base}/invoices/{invoice['id']}/void", None),
    ]:
        answer = await client.request(method, path, json=body, headers=bearer(stranger))
        assert answer.status_code == 404, (method, path, answer.text)
    on_ours = await client.post("/api/v1/orders", json={"account_id": account["id"], "lines": [{"name": "x",
                                "unit_price": "1"}]}, headers=bearer(stranger))  # fmt: skip
    assert on_ours.status_code == 422 and on_ours.json()["errors"][0]["field"] == "account_id"
    assert (await client.get("/api/v1/orders", headers=bearer(stranger))).json()["items"] == []
    got = await page(client, owner, order["id"])
    assert (got["order"]["status"], got["order"]["collected"], got["order"]["invoiced"]) == (
        "confirmed", "100.00", "100.00")  # fmt: skip


async def age(client: Any, who: dict[str, Any], order_id: str, instalment_id: str, days: int) -> None:
    """Move an instalment's due date ``days`` before today, as time passing would."""
    from guanxi.db.tenancy import tenant_session
    from sqlalchemy import text

    from tests.domain.audit.test_retention import job_for

    job = await job_for(who["workspace"]["id"])
    async with tenant_session(job.scope) as session:
        await session.execute(
            text(
                f'UPDATE "{job.scope.schema}".payment_instalments '
                "SET due_date = current_date - CAST(:d AS integer) WHERE id = :i"
            ),
            {"d": days, "i": instalment_id},
        )
        await session.commit()


async def test_receivables_age_open_amounts_per_customer_and_rep_within_ones_scope(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    acme = await add_account(client, rep, name="Acme")
    huaqiang = await add_account(client, owner, name="华强")
    order = await add_order(client, rep, acme["id"], order_date="2099-01-01")  # 10600.00, unplanned part not due
    base = f"/api/v1/orders/{order['id']}/instalments"
    made = []
    for amount in ("1000", "2000", "3000", "4000"):
        answer = await client.post(base, json={"due_date": "2099-01-01", "amount": amount}, headers=bearer(rep))
        made.append(answer.json()["id"])
    for instalment_id, days in zip(made, (10, 45, 75, 200), strict=True):
        await age(client, owner, order["id"], instalment_id, days)
    await client.post(f"/api/v1/orders/{order['id']}/payments", json={"amount": "400", "method": "cash",
                      "instalment_id": made[0]}, headers=bearer(rep))  # fmt: skip
    await add_order(client, owner, huaqiang["id"], currency="USD", order_date="2099-01-01")
    paid = await add_order(client, owner, huaqiang["id"])
    await client.post(f"/api/v1/orders/{paid['id']}/payments", json={"amount": "10600", "method": "cheque"},
                      headers=bearer(owner))  # fmt: skip
    mine = (await client.get("/api/v1/receivables", headers=bearer(rep))).json()
    assert [(r["name"], len(r["ageing"])) for r in mine["items"]] == [("Acme", 1)]
    buckets = mine["items"][0]["ageing"][0]
    assert (buckets["not_due"], buckets["days_1_30"], buckets["days_31_60"], buckets["days_61_90"],
            buckets["over_90"], buckets["total"]) == ("600.00", "600.00", "2000.00", "3000.00", "4000.00",
                                                      "10200.00")  # fmt: skip
    everyone = (await client.get("/api/v1/receivables", params={"by": "rep"}, headers=bearer(owner))).json()
    assert {r["name"] for r in everyone["items"]} == {"Member sales_rep", owner["user"]["name"]}
    assert [(t["currency"], t["total"]) for t in everyone["totals"]] == [("CNY", "10200.00"), ("USD", "10600.00")]
    first = (await client.get("/api/v1/receivables", params={"limit": 1}, headers=bearer(owner))).json()
    rest = (await client.get("/api/v1/receivables", params={"cursor": first["next_cursor"]},
                             headers=bearer(owner))).json()  # fmt: skip
    assert len(first["items"]) == 1 and len(rest["items"]) == 1 and rest.get("next_cursor") is None
    assert first["items"][0]["key"] != rest["items"][0]["key"]
    stranger = await signed_up(client)
    assert (await client.get("/api/v1/receivables", headers=bearer(stranger))).json()["items"] == []
    bad = await client.get("/api/v1/receivables", params={"cursor": "garbage"}, headers=bearer(owner))
    assert bad.status_code == 422


async def test_payments_due_list_open_instalments_by_due_date_within_ones_scope(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    mine = await add_account(client, rep, name="Rep's customer")
    theirs = await add_account(client, owner)
    order = await add_order(client, rep, mine["id"])
    base = f"/api/v1/orders/{order['id']}/instalments"
    made = {}
    for due in ("2099-03-01", "2099-01-01", "2099-02-01"):
        answer = await client.post(base, json={"due_date": due, "amount": "100"}, headers=bearer(rep))
        made[due] = answer.json()["id"]
    await client.post(f"/api/v1/orders/{order['id']}/payments", json={"amount": "100", "method": "cash",
                      "instalment_id": made["2099-02-01"]}, headers=bearer(rep))  # fmt: skip
    other = await add_order(client, owner, theirs["id"])
    await client.post(f"/api/v1/orders/{other['id']}/instalments", json={"due_date": "2099-01-15", "amount": "1"},
                      headers=bearer(owner))  # fmt: skip
    first = (await client.get("/api/v1/instalments", params={"limit": 1}, headers=bearer(rep))).json()
    rest = (
        await client.get("/api/v1/instalments", params={"cursor": first["next_cursor"]}, headers=bearer(rep))
    ).json()
    assert [i["due_date"] for i in first["items"] + rest["items"]] == ["2099-01-01", "2099-03-01"]
    assert (
        first["items"][0]["order_number"] == order["number"] and first["items"][0]["account_name"] == "Rep's customer"
    )
    everyone = (await client.get("/api/v1/instalments", params={"due_to": "2099-01-31"}, headers=bearer(owner))).json()
    assert [i["due_date"] for i in everyone["items"]] == ["2099-01-01", "2099-01-15"]
    theirs_only = await client.get(
        "/api/v1/instalments", params={"owner_id": owner["user"]["id"]}, headers=bearer(owner)
    )
    assert [i["amount"] for i in theirs_only.json()["items"]] == ["1.00"]
    stranger = await signed_up(client)
    assert (await client.get("/api/v1/instalments", headers=bearer(stranger))).json()["items"] == []
