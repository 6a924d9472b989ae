"""The customer pool pages: what waits in the pool and why, claiming one or several, assigning, refusals in the
reader's words, and the pool's settings form with its rules by grade."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import FakeApi, csrf
from tests.web.fake_admin import NOW
from tests.web.fake_customers import POOL_ID, FakeCustomers
from tests.web.fake_pools import FakePools
from tests.web.test_accounts import crm_fixture, huaqiang  # noqa: F401 (fixtures)


@pytest.fixture(name="pools")
def pools_fixture(crm: FakeCustomers) -> FakePools:
    return FakePools(crm)


def post(client: TestClient[Any], url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def sent(fake_api: FakeApi, method: str, path: str) -> dict[str, Any]:
    [request] = fake_api.calls(method, path)
    body: dict[str, Any] = json.loads(request.content)
    return body


def test_the_pool_shows_who_had_each_customer_and_why_it_came_back(
    signed_in: TestClient[Any], crm: FakeCustomers, pools: FakePools
) -> None:
    account = huaqiang(crm)
    pools.put_in_pool(account, "no_follow_up:30")
    other = crm.add_account(name="Acme Ltd")
    pools.put_in_pool(other, "客户暂无需求")
    crm.add_account(name="Still owned")
    pools.default["rules"] = [{"kind": "no_follow_up", "days": {"A": 30, "*": 15}}]

    html = signed_in.get("/pool").text

    assert "深圳华强电子有限公司" in html and "Acme Ltd" in html and "Still owned" not in html
    assert "No follow-up for 30 days" in html and "客户暂无需求" in html
    assert "No follow-up: A 30 days, others 15 days" in html
    assert crm.admin.members[0]["name"] in html  # the previous owner by name
    assert 'href="/pool"' in signed_in.get("/home").text


def test_the_pool_speaks_chinese(signed_in: TestClient[Any], crm: FakeCustomers, pools: FakePools) -> None:
    pools.put_in_pool(huaqiang(crm), "no_follow_up:30")
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get("/pool").text

    assert "公海" in html and "30 天未跟进" in html and "领取" in html


def test_claiming_a_row_makes_it_yours_and_opens_it(
    signed_in: TestClient[Any], crm: FakeCustomers, pools: FakePools, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    pools.put_in_pool(account)
    other = crm.add_account(name="Ticked but not clicked")
    pools.put_in_pool(other)
    pool_id = pools.default["id"]

    answer = post(signed_in, f"/pool/{pool_id}/claim?one={account['id']}", {"account_ids": [other["id"]]})

    assert answer.status_code == 303 and answer.headers["location"] == f"/accounts/{account['id']}?done=claimed"
    assert sent(fake_api, "POST", f"/api/v1/pools/{pool_id}/claim") == {"account_ids": [account["id"]]}
    assert account["owner_id"] == crm.me and other["owner_id"] is None
    assert "The customer is yours now" in signed_in.get(answer.headers["location"]).text


def test_claiming_several_and_the_refusals(signed_in: TestClient[Any], crm: FakeCustomers, pools: FakePools) -> None:
    accounts = [crm.add_account(name=f"Pool {n}") for n in range(4)]
    for account in accounts:
        pools.put_in_pool(account)
    pool_id = pools.default["id"]
    pools.default["daily_claim_limit"] = 3

    nothing = post(signed_in, f"/pool/{pool_id}/claim", {})
    assert "Tick the customers to claim first." in nothing.text

    two = post(signed_in, f"/pool/{pool_id}/claim", {"account_ids": [accounts[0]["id"], accounts[1]["id"]]})
    assert "You claimed 2 customers." in two.text
    assert [a["owner_id"] for a in accounts[:2]] == [crm.me, crm.me]

    over = post(signed_in, f"/pool/{pool_id}/claim", {"account_ids": [accounts[2]["id"], accounts[3]["id"]]})
    assert "You have reached today&#39;s claim limit for this pool." in over.text
    assert accounts[2]["owner_id"] is None and accounts[3]["owner_id"] is None  # all or nothing

    gone = post(signed_in, f"/pool/{pool_id}/claim", {"account_ids": [accounts[0]["id"]]})
    assert "Someone else claimed it first" in gone.text


def test_a_pool_administrator_assigns_and_others_are_told_they_may_not(
    signed_in: TestClient[Any], crm: FakeCustomers, pools: FakePools, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    pools.put_in_pool(account)
    pool_id = pools.default["id"]
    rep = crm.admin.members[1]["id"]

    page = signed_in.get("/pool").text
    assert f'formaction="/pool/{pool_id}/assign"' in page

    done = post(signed_in, f"/pool/{pool_id}/assign", {"account_ids": [account["id"]], "owner_id": rep})
    assert "1 customer assigned." in done.text and account["owner_id"] == rep
    assert sent(fake_api, "POST", f"/api/v1/pools/{pool_id}/assign") == {
        "account_ids": [account["id"]],
        "owner_id": rep,
    }

    pools.put_in_pool(account)
    pools.default["may_manage"] = False
    assert 'formaction="/pool/' + pool_id + '/assign"' not in signed_in.get("/pool").text
    refused = post(signed_in, f"/pool/{pool_id}/assign", {"account_ids": [account["id"]], "owner_id": rep})
    assert "Only an administrator of this pool may assign." in refused.text and account["owner_id"] is None


def test_the_settings_form_sends_rules_by_grade_and_members(
    signed_in: TestClient[Any], crm: FakeCustomers, pools: FakePools, fake_api: FakeApi
) -> None:
    pool_id = pools.default["id"]
    department = crm.admin.departments[0]["id"]
    lead = crm.admin.members[1]["id"]

    answer = post(signed_in, f"/pool/{pool_id}/settings", {
            "name": "华南公海", "rules.no_follow_up.A": "30", "rules.no_follow_up.*": "15", "rules.not_won.*": "90",
            "daily_claim_limit": "20", "owned_cap": "", "warn_days": "3", "recycle_won": "on",
            "members": [f"department:{department}"], "admins": [f"member:{lead}"],
        },
    )  # fmt: skip

    assert answer.status_code == 303 and answer.headers["location"] == f"/pool/{pool_id}?done=pool-saved"
    body = sent(fake_api, "PUT", f"/api/v1/pools/{pool_id}")
    assert body["name"] == "华南公海" and body["daily_claim_limit"] == 20 and "owned_cap" not in body
    assert body["rules"] == [
        {"kind": "no_follow_up", "days": {"A": 30, "*": 15}},
        {"kind": "not_won", "days": {"*": 90}},
    ]
    assert body["recycle_won"] is True and body["hide_contact_details"] is False
    assert body["members"] == [
        {"department_id": department, "is_admin": False},
        {"member_id": lead, "is_admin": True},
    ]
    page = signed_in.get(answer.headers["location"]).text
    assert "The pool&#39;s settings are saved." in page and "Not won: 90 days" in page


def test_bad_settings_are_shown_at_their_field(
    signed_in: TestClient[Any], crm: FakeCustomers, pools: FakePools, fake_api: FakeApi
) -> None:
    pool_id = pools.default["id"]
    bad = {"name": "P", "daily_claim_limit": "ten", "rules.not_won.A": "0"}
    typed = post(signed_in, f"/pool/{pool_id}/settings", bad)
    assert typed.status_code == 422
    assert "Enter a whole number." in typed.text and "Enter a number of days, 1 or more." in typed.text
    assert fake_api.calls("PUT", f"/api/v1/pools/{pool_id}") == []  # nothing sent, nothing half-saved
    assert 'value="ten"' in typed.text

    pools.pools.append({**pools.default, "id": "00000000-0000-0000-0000-000000000002", "name": "Taken"})
    taken = post(signed_in, f"/pool/{pool_id}/settings", {"name": "Taken"})
    assert taken.status_code == 409 and "Another pool has this name" in taken.text

    blank = post(signed_in, "/pool/new", {"name": "   "})
    assert blank.status_code == 422 and "This field is required." in blank.text

    pools.is_admin = False
    refused = post(signed_in, f"/pool/{pool_id}/settings", {"name": "Mine"})
    assert refused.status_code == 403 and "Only a workspace administrator may set up pools." in refused.text


def test_the_account_page_says_when_it_goes_back_and_can_lock_or_give_it_back(
    signed_in: TestClient[Any], crm: FakeCustomers, fake_api: FakeApi
) -> None:
    account = huaqiang(crm)
    crm.pool_status = {"rule": "no_follow_up:15", "days_left": 2}
    crm.deals.append({
        "id": "00000000-0000-0000-0000-0000000000d1", "name": "ERP 升级项目", "account_id": account["id"],
        "contact_id": None, "pipeline_id": POOL_ID, "stage_id": POOL_ID, "status": "open", "amount": "128000.00",
        "currency": "CNY", "probability": None, "expected_close_date": None, "owner_id": crm.me, "competitors": [],
        "description": None, "loss_reason_id": None, "loss_note": None, "stage_entered_at": NOW.isoformat(),
        "closed_at": None, "created_at": NOW.isoformat(), "updated_at": NOW.isoformat(),
    })  # fmt: skip

    page = signed_in.get(f"/accounts/{account['id']}").text
    assert "Goes back to the pool in 2 days unless someone follows up." in page and "No follow-up for 15 days" in page
    assert "ERP 升级项目" in page and f'href="/deals/new?account_id={account["id"]}"' in page

    locked = post(signed_in, f"/accounts/{account['id']}/pool/lock", {"locked": "true"})
    assert locked.status_code == 303 and locked.headers["location"] == f"/accounts/{account['id']}?done=locked#pool"
    assert sent(fake_api, "PUT", f"/api/v1/accounts/{account['id']}/pool/lock") == {"locked": True}
    assert "Locked: it never goes back to the pool." in signed_in.get(f"/accounts/{account['id']}").text
    crm.locks_left = 0
    other = crm.add_account(name="Second")
    refused = post(signed_in, f"/accounts/{other['id']}/pool/lock", {"locked": "true"})
    assert refused.headers["location"].endswith("?done=lock-refused#pool")

    given = post(signed_in, f"/accounts/{account['id']}/pool/release", {"reason": "客户暂无需求"})
    assert given.headers["location"] == "/accounts?done=released"
    body = sent(fake_api, "POST", "/api/v1/accounts/bulk")
    assert body == {"action": "move_to_pool", "ids": [account["id"]], "reason": "客户暂无需求"}
