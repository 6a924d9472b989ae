"""Web forms for leads: built by administrators, shown and sent without sign-in under the workspace's slug and
the form's key; bots (honeypot, too fast, forged or stale token) and floods (per address) refused with nothing
written; submissions go through the assignment rules; another workspace's slug never finds the form."""

from __future__ import annotations

import time
from typing import Any

from guanxi import signing
from guanxi.domain.leads import forms
from guanxi_api.controllers.leads import FORM_POSTS

from tests.api.test_admin import join
from tests.api.test_leads import leads, set_rules
from tests.conftest import bearer, signed_up

FIELDS = [
    {"field": "name", "label": "您的姓名", "required": True},
    {"field": "company", "required": False},
    {"field": "email", "required": True},
    {"field": "employees"},
]


async def add_form(client: Any, owner: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"name": "官网咨询", "fields": FIELDS, "thank_you": "谢谢，我们会尽快联系您。", **extra}
    made = await client.post("/api/v1/lead-forms", json=body, headers=bearer(owner))
    assert made.status_code == 201, made.text
    return dict(made.json())


def aged_token(key: str, seconds: int = 5) -> str:
    """A genuine token issued ``seconds`` ago (a person who took that long to fill the form in)."""
    issued = int(time.time()) - seconds
    return signing.sign_until(forms.PURPOSE, f"{key}:{issued}", issued + 3600)


def url(form: dict[str, Any], slug: str | None = None) -> str:
    return f"/api/v1/public/lead-forms/{slug or form['slug']}/{form['key']}"


async def send(client: Any, form: dict[str, Any], values: dict[str, str]) -> Any:
    return await client.post(url(form), json={"values": values, "token": aged_token(form["key"])})


async def test_a_visitor_sends_the_form_and_the_lead_follows_the_rules(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    form = await add_form(client, owner, source="官网")
    await set_rules(client, owner, [{"name": "官网", "sources": ["官网"], "member_ids": [rep["user"]["id"]]}])
    shown = await client.get(url(form))
    assert shown.status_code == 200, shown.text
    assert [f["field"] for f in shown.json()["fields"]] == ["name", "company", "email", "employees"]
    assert shown.json()["fields"][0]["label"] == "您的姓名" and shown.json()["token"]
    sent = await send(client, form, {"name": "李娜", "email": "Li.Na@example.cn", "employees": "1,200"})
    assert sent.status_code == 201, sent.text
    [lead] = await leads(client, rep)
    assert (lead["name"], lead["email"], lead["employees"], lead["source"], lead["captured_via"]) == (
        "李娜",
        "li.na@example.cn",
        1200,
        "官网",
        "form",
    )
    assert lead["owner_id"] == rep["user"]["id"]


async def test_bot_posts_are_refused_naming_the_problem_and_write_nothing(client: Any) -> None:
    owner = await signed_up(client)
    form = await add_form(client, owner)
    good = {"name": "李娜", "email": "li@example.cn"}
    cases = [
        ({"values": good, "token": aged_token(form["key"]), "website": "http://spam.example"}, "website"),
        ({"values": good, "token": aged_token(form["key"], 0)}, "token"),  # faster than a person
        ({"values": good, "token": "forged.123.abc"}, "token"),
        ({"values": good, "token": aged_token("someotherformkey1234")}, "token"),
        ({"values": {"email": "li@example.cn"}, "token": aged_token(form["key"])}, "values.name"),
        ({"values": {**good, "phone": "1"}, "token": aged_token(form["key"])}, "values.phone"),
        ({"values": {**good, "email": "no"}, "token": aged_token(form["key"])}, "values.email"),
        ({"values": {**good, "employees": "many"}, "token": aged_token(form["key"])}, "values.employees"),
    ]
    for body, field in cases:
        answer = await client.post(url(form), json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["field"] == field, answer.json()
    stale = signing.sign_until(forms.PURPOSE, f"{form['key']}:{int(time.time()) - 99_999}", int(time.time()) - 10)
    answer = await client.post(url(form), json={"values": good, "token": stale})
    assert answer.status_code == 422 and answer.json()["errors"][0]["code"] == "stale_token"
    wrong_shape = await client.post(url(form), json={"values": {"name": 5}, "token": "x"})
    assert wrong_shape.status_code == 422 and wrong_shape.json()["errors"][0]["field"].startswith("values")
    assert await leads(client, owner) == []


async def test_one_address_may_send_a_form_only_so_often(client: Any) -> None:
    owner = await signed_up(client)
    form, other = await add_form(client, owner), await add_form(client, owner, name="展会报名")
    for n in range(FORM_POSTS):
        ok = await send(client, form, {"name": f"访客 {n}", "email": f"v{n}@example.cn"})
        assert ok.status_code == 201, ok.text
    flood = await send(client, form, {"name": "又一个", "email": "x@example.cn"})
    assert flood.status_code == 429 and flood.json()["type"].endswith("/rate-limited")
    assert int(flood.headers["retry-after"]) > 0
    elsewhere = await send(client, other, {"name": "另一个表单", "email": "y@example.cn"})
    assert elsewhere.status_code == 201  # counted per form
    assert len(await leads(client, owner)) == FORM_POSTS + 1


async def test_a_form_key_under_another_workspaces_slug_is_not_found(client: Any) -> None:
    first, second = await signed_up(client), await signed_up(client)
    form = await add_form(client, first)
    theirs = await add_form(client, second)
    assert form["slug"] != theirs["slug"]
    assert (await client.get(url(form, theirs["slug"]))).status_code == 404
    crossed = await client.post(url(form, theirs["slug"]), json={"values": {"name": "x"}, "token": "t"})
    assert crossed.status_code == 404
    for slug, key in (("UPPER", form["key"]), (form["slug"], "short"), (form["slug"], "'; DROP TABLE x;--" * 2)):
        assert (await client.get(f"/api/v1/public/lead-forms/{slug}/{key}")).status_code == 404
    edit = await client.put(
        f"/api/v1/lead-forms/{form['id']}", json={"name": "x", "fields": FIELDS}, headers=bearer(second)
    )
    assert edit.status_code == 404
    assert [f["id"] for f in (await client.get("/api/v1/lead-forms", headers=bearer(second))).json()] == [theirs["id"]]
    off = await client.put(
        f"/api/v1/lead-forms/{form['id']}",
        json={"name": "官网咨询", "fields": FIELDS, "active": False},
        headers=bearer(first),
    )
    assert off.status_code == 200 and (await client.get(url(form))).status_code == 404  # switched off


async def test_only_administrators_build_forms_and_a_form_needs_a_name_field(client: Any) -> None:
    owner = await signed_up(client)
    rep = await join(client, owner, "sales_rep")
    body = {"name": "x", "fields": FIELDS}
    assert (await client.post("/api/v1/lead-forms", json=body, headers=bearer(rep))).status_code == 403
    for fields, field in (
        ([], "fields"),
        ([{"field": "email", "required": True}], "fields"),
        ([{"field": "name", "required": True, "label": "x" * 101}], "fields[0].label"),
    ):
        bad = await client.post("/api/v1/lead-forms", json={"name": "x", "fields": fields}, headers=bearer(owner))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field, bad.text
    unknown = await client.post(
        "/api/v1/lead-forms", json={"name": "x", "fields": [{"field": "owner_id"}]}, headers=bearer(owner)
    )
    assert unknown.status_code in (400, 422) and "fields" in unknown.json()["detail"], unknown.text
