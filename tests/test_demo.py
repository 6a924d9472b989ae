"""The demo workspace of ``make run``: created once, a real company with a team one can sign in as."""

from __future__ import annotations

from typing import Any

from guanxi.demo import DEMO_EMAIL, DEMO_PASSWORD, PEOPLE, ensure_demo_workspace

from tests.conftest import bearer


async def test_demo_workspace_is_created_once_with_its_team(client: Any) -> None:
    assert await ensure_demo_workspace() == (DEMO_EMAIL, DEMO_PASSWORD, True)
    assert await ensure_demo_workspace() == (DEMO_EMAIL, DEMO_PASSWORD, False)

    owner = (await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})).json()
    assert owner["workspace"]["name"] == "上海华强电子有限公司"
    members = (await client.get("/api/v1/admin/members", headers=bearer(owner))).json()
    assert len(members) == 1 + len(PEOPLE)
    by_name = {m["name"]: m for m in members}
    assert by_name["王强"]["manager_id"] == by_name["李娜"]["id"]
    departments = {d["name"] for d in (await client.get("/api/v1/admin/departments", headers=bearer(owner))).json()}
    assert {"销售部", "华东销售组", "客服部"} <= departments
    billing = (await client.get("/api/v1/billing", headers=bearer(owner))).json()
    assert (billing["plan"], billing["status"], billing["trial_ends_at"]) == ("pro", "trialing", None)  # never ends
    assert billing["limits"]["seats"] is None and billing["usage"]["seats"] == 1 + len(PEOPLE)

    rep = await client.post("/api/v1/auth/login", json={"email": "wang.qiang@example.com", "password": DEMO_PASSWORD})
    assert rep.status_code == 200 and rep.json()["workspace"]["role"] == "sales_rep"
    # the rep sees their own customers only; the owner sees all of them, Chinese and English
    theirs = (await client.get("/api/v1/accounts", params={"count": "true"}, headers=bearer(rep.json()))).json()
    everyone = (await client.get("/api/v1/accounts", params={"count": "true"}, headers=bearer(owner))).json()
    assert 0 < theirs["total"] < everyone["total"] == 300
    assert {a["owner_id"] for a in theirs["items"]} == {rep.json()["user"]["id"]}
    hits = (await client.get("/api/v1/search", params={"q": "有限公司"}, headers=bearer(owner))).json()
    assert hits and all("有限公司" in h["title"] for h in hits)
    # customers come with a history of activities (about five each)
    kinds = set()
    for account in everyone["items"][:10]:
        timeline = await client.get(f"/api/v1/accounts/{account['id']}/timeline", headers=bearer(owner))
        kinds |= {item["activity"]["kind"] for item in timeline.json()["items"] if item["type"] == "activity"}
    assert len(kinds) >= 3
    # leads handed out by the demo's assignment rules: big companies to the manager, regions to their team
    all_leads = {x["name"]: x for x in (await client.get("/api/v1/leads", headers=bearer(owner))).json()["items"]}
    assert all_leads["吴磊"]["owner_id"] == by_name["李娜"]["id"]  # 1,200 people: the first rule wins
    assert all_leads["孙丽"]["owner_id"] == by_name["王强"]["id"]
    assert all_leads["黄涛"]["owner_id"] is None  # no rule for 西南: the lead pool
