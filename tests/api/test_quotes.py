"""Quotes (报价单): lines priced from a price list, totals kept on the quote, numbered by the workspace's rules,
accepted or rejected exactly once (also when two answers race), a sent quote edited goes back to draft, expired
after its date, lists filtered by status and paged, the PDF with Chinese text, bad input named by field with
nothing written, and other workspaces kept out."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from typing import Any

from fontTools.cffLib import CFFFontSet
from pypdf import PdfReader

from tests.api.test_admin import join
from tests.api.test_customers import add_account, add_contact, counted_sql
from tests.api.test_deals import add_deal
from tests.api.test_products import add_price_list, add_product
from tests.conftest import bearer, signed_up


async def catalogue(client: Any, owner: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A gateway with volume tiers and a sensor on a CNY price list; returns both products and the list's id."""
    gateway = await add_product(client, owner)
    sensor = await add_product(client, owner, name="温湿度传感器 TH-10", sku="TH-10", unit="个", cost="40")
    made = await add_price_list(client, owner, items=[
        {"product_id": gateway["id"], "unit_price": "2600.00", "tiers": [{"min_quantity": "10", "unit_price": "2400"}]},
        {"product_id": sensor["id"], "unit_price": "88.00"},
    ])  # fmt: skip
    assert made.status_code == 201, made.text
    return gateway, sensor, str(made.json()["id"])


async def add_quote(client: Any, who: dict[str, Any], account_id: str, **fields: Any) -> dict[str, Any]:
    answer = await client.post("/api/v1/quotes", json={"account_id": account_id, **fields}, headers=bearer(who))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def pdf_text(document: bytes) -> str:
    """The text of a PDF. pypdf reads fpdf2's two-byte CID codes with a NUL before each character (its ToUnicode
    map is right: PDF viewers copy the text cleanly), so the NULs are dropped."""
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages).replace("\x00", "")


async def test_a_quote_prices_its_lines_from_the_price_list_and_keeps_its_totals(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="深圳华强电子")
    contact = await add_contact(client, owner, account["id"])
    gateway, sensor, price_list = await catalogue(client, owner)
    quote = await add_quote(
        client, owner, account["id"], contact_id=contact["id"], currency="CNY", price_list_id=price_list,
        valid_until="2099-12-31", terms="货到付款", lines=[
            {"product_id": gateway["id"], "quantity": "10", "discount_percent": "5", "tax_rate": "13"},
            {"product_id": sensor["id"], "quantity": "20", "tax_rate": "13"},
            {"name": "安装调试服务", "quantity": "1", "unit_price": "1500"},
        ],
    )  # fmt: skip
    assert quote["number"].startswith("QT-") and quote["number"].endswith("-0001")
    assert [(line["name"], line["unit_price"], line["unit"]) for line in quote["lines"]] == [
        ("工业网关 GW-200", "2400.00", "台"), ("温湿度传感器 TH-10", "88.00", "个"), ("安装调试服务", "1500.00", ""),
    ]  # fmt: skip
    # 10 x 2400 less 5% = 22800 (+13% = 2964); 20 x 88 = 1760 (+228.80); 1500
    assert (quote["subtotal"], quote["discount"], quote["tax"], quote["total"]) == (
        "26060.00", "1200.00", "3192.80", "29252.80",
    )  # fmt: skip
    assert quote["status"] == "draft" and quote["account_name"] == "深圳华强电子"
    assert quote["totals"]["margin"] is not None
    second = await add_quote(client, owner, account["id"])
    assert second["number"].endswith("-0002") and second["total"] == "0.00"
    listed = (await client.get("/api/v1/quotes", headers=bearer(owner))).json()
    assert [q["number"] for q in listed["items"]] == [second["number"], quote["number"]]
    assert listed["items"][1]["total"] == "29252.80" and "lines" not in listed["items"][1]


async def test_bad_lines_are_named_and_leave_nothing_written(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    gateway, sensor, price_list = await catalogue(client, owner)
    assert (await client.delete(f"/api/v1/products/{sensor['id']}", headers=bearer(owner))).status_code == 204
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{"product_id": gateway["id"]}, {"product_id": sensor["id"]}], "price_list_id": price_list,
          "currency": "CNY"}, "lines[1].product_id"),
        ({"price_list_id": price_list, "currency": "EUR", "lines": [{"product_id": gateway["id"]}]}, "price_list_id"),
        ({"currency": "XYZ"}, "currency"),
        ({"lines": [{"name": "服务", "quantity": "-1", "unit_price": "10"}]}, "lines[0].quantity"),
        ({"lines": [{"name": "服务", "unit_price": "10", "tax_rate": "101"}]}, "lines[0].tax_rate"),
        ({"lines": [{"name": "", "unit_price": "10"}]}, "lines[0].name"),
        ({"terms": "x" * 20_001}, "terms"),
        ({"valid_until": "1999-01-01"}, "valid_until"),
        ({"deal_id": "00000000-0000-0000-0000-000000000001"}, "deal_id"),
    ]  # fmt: skip
    for body, field in cases:
        answer = await client.post("/api/v1/quotes", json={"account_id": account["id"], **body}, headers=bearer(owner))
        assert answer.status_code == 422, (field, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (field, answer.json())
    for body in ({"account_id": "'; DROP TABLE quotes; --"}, {"account_id": account["id"], "lines": "🙂"},
                 {"account_id": account["id"], "colour": "red"}, {}):  # fmt: skip
        answer = await client.post("/api/v1/quotes", json=body, headers=bearer(owner))
        assert answer.status_code in (400, 422), answer.text
    listed = (await client.get("/api/v1/quotes", headers=bearer(owner))).json()
    assert listed["items"] == []
    first = await add_quote(client, owner, account["id"])
    assert first["number"].endswith("-0001")  # the refused quotes gave their numbers back


async def test_accepting_twice_at_the_same_moment_lets_exactly_one_through(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    deal = await add_deal(client, owner, account["id"], amount="5000")
    quote = await add_quote(client, owner, account["id"], deal_id=deal["id"],
                            lines=[{"name": "Consulting", "quantity": "2", "unit_price": "2500"}])  # fmt: skip
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/quotes/{quote['id']}/accept", json={}, headers=bearer(owner)) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["type"].endswith("quote-decided")
    got = (await client.get(f"/api/v1/quotes/{quote['id']}", headers=bearer(owner))).json()
    assert got["status"] == "accepted" and got["decided_at"] is not None
    assert (await client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(owner))).json()["status"] == "won"
    again = await client.post(f"/api/v1/quotes/{quote['id']}/reject", json={"reason": "late"}, headers=bearer(owner))
    assert again.status_code == 409
    change = await client.patch(f"/api/v1/quotes/{quote['id']}", json={"notes": "x"}, headers=bearer(owner))
    assert change.status_code == 409 and change.json()["type"].endswith("quote-decided")


async def test_rejecting_needs_a_reason_and_an_edited_sent_quote_goes_back_to_draft(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    quote = await add_quote(client, owner, account["id"], lines=[{"name": "服务", "unit_price": "100"}])
    missing = await client.post(f"/api/v1/quotes/{quote['id']}/reject", json={"reason": "  "}, headers=bearer(owner))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    await _mark_sent(owner, quote["id"])
    assert (await client.get(f"/api/v1/quotes/{quote['id']}", headers=bearer(owner))).json()["status"] == "sent"
    edited = await client.patch(f"/api/v1/quotes/{quote['id']}", json={"lines": [{"name": "服务", "unit_price": "90"}]},
                                headers=bearer(owner))  # fmt: skip
    assert edited.status_code == 200 and edited.json()["status"] == "draft" and edited.json()["total"] == "90.00"
    rejected = await client.post(f"/api/v1/quotes/{quote['id']}/reject", json={"reason": "价格太高 🙁"},
                                 headers=bearer(owner))  # fmt: skip
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "价格太高 🙁"


async def _mark_sent(owner: dict[str, Any], quote_id: str, valid_until: dt.date | None = None) -> None:
    """What the worker does once the mail left (and, for an expired quote, a date in the past)."""
    import uuid

    from guanxi.db.tenancy import tenant_session
    from guanxi.domain.quotes.service import mark_sent
    from sqlalchemy import text

    from tests.domain.audit.test_retention import job_for

    job = await job_for(owner["workspace"]["id"])
    async with tenant_session(job.scope) as session:
        await mark_sent(session, job.scope, uuid.UUID(quote_id), "buyer@example.com")
        if valid_until is not None:
            await session.execute(text(f'UPDATE "{job.scope.schema}".quotes SET valid_until = :d WHERE id = :i'),
                                  {"d": valid_until, "i": uuid.UUID(quote_id)})  # fmt: skip
        await session.commit()


async def test_sent_quotes_awaiting_an_answer_and_expired_ones_are_listed_apart(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    today = dt.date.today()
    waiting = await add_quote(client, owner, account["id"], valid_until=str(today + dt.timedelta(days=5)))
    later = await add_quote(client, owner, account["id"], valid_until=str(today + dt.timedelta(days=60)))
    old = await add_quote(client, owner, account["id"])
    draft = await add_quote(client, owner, account["id"])
    for quote in (waiting, later):
        await _mark_sent(owner, quote["id"])
    await _mark_sent(owner, old["id"], valid_until=today - dt.timedelta(days=3))

    async def listed(**params: Any) -> list[str]:
        answer = await client.get("/api/v1/quotes", params=params, headers=bearer(owner))
        assert answer.status_code == 200, answer.text
        return [q["id"] for q in answer.json()["items"]]

    assert await listed(status="sent") == [later["id"], waiting["id"]]
    assert await listed(status="sent", expiring_within=7) == [waiting["id"]]
    assert await listed(status="expired") == [old["id"]]
    assert await listed(status="draft") == [draft["id"]]
    assert await listed(q=waiting["number"]) == [waiting["id"]]
    expired = await client.post(f"/api/v1/quotes/{old['id']}/accept", json={}, headers=bearer(owner))
    assert expired.status_code == 409 and expired.json()["type"].endswith("quote-expired")
    pages, cursor = [], None
    while True:
        page = (await client.get("/api/v1/quotes", params={"limit": 3, **({"cursor": cursor} if cursor else {})},
                                 headers=bearer(owner))).json()  # fmt: skip
        pages += [q["id"] for q in page["items"]]
        if not (cursor := page.get("next_cursor")):
            break
    assert pages == [draft["id"], old["id"], later["id"], waiting["id"]]
    bad = await client.get("/api/v1/quotes", params={"cursor": "nonsense"}, headers=bearer(owner))
    assert bad.status_code == 422


async def test_the_list_costs_the_same_statements_for_more_quotes(client: Any) -> None:
    owner = await signed_up(client)
    account = await add_account(client, owner)
    await add_quote(client, owner, account["id"], lines=[{"name": "A", "unit_price": "1"}])
    with counted_sql() as statements:
        assert (await client.get("/api/v1/quotes", headers=bearer(owner))).status_code == 200
    for _ in range(5):
        await add_quote(client, owner, account["id"], lines=[{"name": "A", "unit_price": "1"}])
    with counted_sql() as again:
        assert len((await client.get("/api/v1/quotes", headers=bearer(owner))).json()["items"]) == 6
    assert len(again) == len(statements)


async def test_the_pdf_holds_the_number_the_chinese_lines_and_the_totals(client: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    account = await add_account(client, owner, name="深圳华强电子")
    gateway, _, price_list = await catalogue(client, owner)
    template = await client.post("/api/v1/settings/print-templates", json={
        "name": "标准", "language": "zh-Hans", "is_default": True, "company_name": "上海关系软件有限公司",
        "address": "上海市浦东新区世纪大道 100 号", "accent_color": "#B91C1C", "footer": "感谢您的信任",
        "columns": ["sku", "quantity", "unit_price", "tax", "amount"],
    }, headers=bearer(owner))  # fmt: skip
    assert template.status_code == 201, template.text
    quote = await add_quote(client, owner, account["id"], currency="CNY", price_list_id=price_list, terms="货到付款",
                            lines=[{"product_id": gateway["id"], "quantity": "3", "tax_rate": "13"}])  # fmt: skip
    answer = await client.get(f"/api/v1/quotes/{quote['id']}/pdf", headers=bearer(owner))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert len(answer.content) < 200_000  # the font is subset, not embedded whole
    font = PdfReader(io.BytesIO(answer.content)).pages[0]["/Resources"]["/Font"]["/F1"].get_object()
    assert "NotoSansCJK" in font["/BaseFont"]
    program = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]["/FontFile3"].get_object().get_data()
    embedded = CFFFontSet()
    embedded.decompile(io.BytesIO(program), None)
    drawn = len(embedded[embedded.fontNames[0]].CharStrings)
    assert len(set("工业网关报价单合计上海关系软件有限公司")) < drawn < 400  # the glyphs used, and only those
    text = pdf_text(answer.content)
    for expected in (quote["number"], "工业网关 GW-200", "报价单", "上海关系软件有限公司", "深圳华强电子", "合计",
                     "8,814.00", "7,800.00", "GW-200", "货到付款", "感谢您的信任"):  # fmt: skip
        assert expected in text, (expected, text)


async def test_other_workspaces_get_404_and_never_see_the_quotes(client: Any) -> None:
    owner = await signed_up(client)
    stranger = await signed_up(client)
    account = await add_account(client, owner)
    quote = await add_quote(client, owner, account["id"])
    template = await client.post("/api/v1/settings/print-templates", json={"name": "Mine"}, headers=bearer(owner))
    for method, path, body in [
        ("GET", f"/api/v1/quotes/{quote['id']}", None),
        ("PATCH", f"/api/v1/quotes/{quote['id']}", {"notes": "x"}),
        ("DELETE", f"/api/v1/quotes/{quote['id']}", None),
        ("POST", f"/api/v1/quotes/{quote['id']}/accept", {}),
        ("POST", f"/api/v1/quotes/{quote['id']}/reject", {"reason": "x"}),
        ("POST", f"/api/v1/quotes/{quote['id']}/send", {"to": "a@example.com"}),
        ("GET", f"/api/v1/quotes/{quote['id']}/pdf", None),
        ("GET", f"/api/v1/settings/print-templates/{template.json()['id']}", None),
        ("PUT", f"/api/v1/settings/print-templates/{template.json()['id']}", {"name": "x"}),
    ]:
        answer = await client.request(method, path, json=body, headers=bearer(stranger))
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert (await client.get("/api/v1/quotes", headers=bearer(stranger))).json()["items"] == []
    assert (await client.get("/api/v1/settings/print-templates", headers=bearer(stranger))).json() == []
    theirs = await client.post("/api/v1/quotes", json={"account_id": account["id"]}, headers=bearer(stranger))
    assert theirs.status_code == 422 and theirs.json()["errors"][0]["field"] == "account_id"


def png_logo() -> str:
    import base64

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (185, 28, 28)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_print_templates_are_checked_and_their_logo_is_drawn(client: Any) -> None:
    owner = await signed_up(client)
    path = "/api/v1/settings/print-templates"
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "A", "accent_color": "red"}, "accent_color"),
        ({"name": "A", "accent_color": "#12345g"}, "accent_color"),
        ({"name": "A", "logo_base64": "not base64 ✗"}, "logo_base64"),
        ({"name": "A", "logo_base64": "PGh0bWw+PC9odG1sPg=="}, "logo_base64"),  # <html></html>
        ({"name": "A", "company_name": "x" * 201}, "company_name"),
        ({"name": "A", "footer": "\x00"}, "footer"),
    ]:
        answer = await client.post(path, json=body, headers=bearer(owner))
        assert answer.status_code == 422, (field, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (field, answer.json())
    wrong = await client.post(path, json={"name": "A", "language": "fr"}, headers=bearer(owner))
    assert wrong.status_code in (400, 422)
    first = await client.post(path, json={"name": "Blue", "is_default": True}, headers=bearer(owner))
    logo = await client.post(path, json={"name": "红色 🖨", "is_default": True, "logo_base64": png_logo(),
                                         "columns": ["quantity", "amount"]}, headers=bearer(owner))  # fmt: skip
    assert first.status_code == 201 and logo.status_code == 201, logo.text
    assert logo.json()["has_logo"] is True and logo.json()["columns"] == ["quantity", "amount"]
    twin = await client.post(path, json={"name": "Blue"}, headers=bearer(owner))
    assert twin.status_code == 409 and twin.json()["errors"][0]["field"] == "name"
    listed = (await client.get(path, headers=bearer(owner))).json()
    assert [(t["name"], t["is_default"]) for t in listed] == [("红色 🖨", True), ("Blue", False)]
    account = await add_account(client, owner)
    quote = await add_quote(client, owner, account["id"], lines=[{"name": "Consulting", "unit_price": "100"}])
    document = (await client.get(f"/api/v1/quotes/{quote['id']}/pdf", headers=bearer(owner))).content
    page = PdfReader(io.BytesIO(document)).pages[0]
    assert list(page.images)  # the default template's logo is drawn
    assert "Unit price" not in pdf_text(document) and "Amount" in pdf_text(document)  # only its columns


async def test_a_sales_rep_sees_only_their_own_quotes_and_cannot_set_up_templates(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    theirs = await add_account(client, owner, name="Owner's customer")
    hidden = await add_quote(client, owner, theirs["id"])
    mine_account = await add_account(client, rep, name="Rep's customer")
    mine = await add_quote(client, rep, mine_account["id"])
    listed = (await client.get("/api/v1/quotes", headers=bearer(rep))).json()
    assert [q["id"] for q in listed["items"]] == [mine["id"]]
    assert (await client.get(f"/api/v1/quotes/{hidden['id']}", headers=bearer(rep))).status_code == 404
    refused = await client.post("/api/v1/settings/print-templates", json={"name": "Mine"}, headers=bearer(rep))
    assert refused.status_code == 403
