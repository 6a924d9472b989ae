"""Saved views: checked like the lists they describe, kept for oneself or shared by an admin, applied
with ``view=`` under the request's own filters; others' private views and other tenants' are not found."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_admin import join
from tests.api.test_customers import add_account
from tests.conftest import bearer, signed_up


async def save(client: Any, who: dict[str, Any], **body: Any) -> Any:
    return await client.post("/api/v1/views", json={"module": "customers", **body}, headers=bearer(who))


async def test_a_saved_view_filters_and_sorts_the_list_and_the_export(client: Any) -> None:
    owner = await signed_up(client)
    for name, heat in (("B hot", "hot"), ("A hot", "hot"), ("C cold", "cold")):
        await add_account(client, owner, name=name, heat=heat, tags=["华南"] if name != "A hot" else [])
    view = await save(client, owner, name="热门客户", filters={"heat": "hot"}, sort="name", columns=["name", "phone"])
    assert view.status_code == 201, view.text
    listed = await client.get("/api/v1/accounts", params={"view": view.json()["id"]}, headers=bearer(owner))
    assert [a["name"] for a in listed.json()["items"]] == ["A hot", "B hot"]
    narrowed = await client.get(
        "/api/v1/accounts", params={"view": view.json()["id"], "tag": "华南"}, headers=bearer(owner)
    )
    assert [a["name"] for a in narrowed.json()["items"]] == ["B hot"]
    exported = await client.get(
        "/api/v1/accounts/export.csv", params={"view": view.json()["id"]}, headers=bearer(owner)
    )
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines == ["name,phone", "A hot,", "B hot,"]  # the view's rows, sort and columns
    contacts = await client.get("/api/v1/contacts", params={"view": view.json()["id"]}, headers=bearer(owner))
    assert contacts.status_code == 422 and contacts.json()["errors"][0]["field"] == "view"


async def test_private_views_stay_private_and_only_admins_share(client: Any) -> None:
    owner = await signed_up(client)
    rep, other_rep = await join(client, owner, "sales_rep"), await join(client, owner, "sales_rep")
    mine = (await save(client, rep, name="Mine")).json()
    assert (await save(client, rep, name="For all", shared=True)).status_code == 403
    team = (await save(client, owner, name="团队视图", shared=True)).json()
    seen = {v["name"] for v in (await client.get("/api/v1/views", headers=bearer(other_rep))).json()}
    assert seen == {"团队视图"}
    assert (
        await client.get("/api/v1/accounts", params={"view": mine["id"]}, headers=bearer(other_rep))
    ).status_code == 404
    assert (
        await client.patch(f"/api/v1/views/{team['id']}", json={"name": "x"}, headers=bearer(rep))
    ).status_code == 403
    assert (await client.delete(f"/api/v1/views/{mine['id']}", headers=bearer(other_rep))).status_code == 404
    renamed = await client.patch(f"/api/v1/views/{mine['id']}", json={"name": "Renamed"}, headers=bearer(rep))
    assert renamed.json()["name"] == "Renamed" and renamed.json()["mine"] is True
    assert (await client.delete(f"/api/v1/views/{mine['id']}", headers=bearer(rep))).status_code == 204
    other = await signed_up(client)
    assert (await client.get("/api/v1/views", headers=bearer(other))).json() == []
    assert (
        await client.patch(f"/api/v1/views/{team['id']}", json={"name": "x"}, headers=bearer(other))
    ).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "sort": "colour"}, "sort"),
        ({"name": "x", "filters": {"heat": "lukewarm"}}, "filters.heat"),
        ({"name": "x", "filters": {"custom": {"nope": "1"}}}, "cf.nope"),
        ({"name": "x", "columns": ["name", "password"]}, "columns[1]"),
        ({"name": "x", "module": "deals"}, "module"),
    ],
)
async def test_bad_views_name_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    owner = await signed_up(client)
    response = await save(client, owner, **body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
