"""Two-factor sign-in: set up with a first code, then every sign-in needs a code (once) or a recovery code."""

from __future__ import annotations

from typing import Any

import pyotp

from tests.conftest import bearer, signed_up


async def enable(client: Any, account: dict[str, Any]) -> tuple[str, list[str]]:
    """Turn two-factor on; returns the code that confirmed it and the recovery codes."""
    setup = await client.post("/api/v1/me/two-factor", headers=bearer(account))
    assert setup.status_code == 200, setup.text
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    authenticator = pyotp.TOTP(setup.json()["secret"])
    wrong = await client.post("/api/v1/me/two-factor/confirm", json={"code": "000000"}, headers=bearer(account))
    assert wrong.status_code == 422
    code = authenticator.now()
    confirmed = await client.post("/api/v1/me/two-factor/confirm", json={"code": code}, headers=bearer(account))
    assert confirmed.status_code == 200, confirmed.text
    return code, confirmed.json()["recovery_codes"]


async def first_factor(client: Any, account: dict[str, Any]) -> Any:
    return await client.post(
        "/api/v1/auth/login", json={"email": account["user"]["email"], "password": account["password"]}
    )


async def test_with_two_factor_a_password_alone_opens_no_session(client: Any) -> None:
    account = await signed_up(client)
    used_code, recovery = await enable(client, account)
    assert len(recovery) == 10

    challenge = await first_factor(client, account)
    assert challenge.status_code == 401
    assert challenge.json()["type"].endswith("/mfa-required")
    ticket = challenge.json()["mfa_token"]
    assert "token" not in challenge.json()

    # the code that confirmed the set-up was spent: the same time step cannot be used again
    replay = await client.post("/api/v1/auth/login/mfa", json={"mfa_token": ticket, "code": used_code})
    assert replay.status_code == 422
    by_recovery = await client.post("/api/v1/auth/login/mfa", json={"mfa_token": ticket, "code": recovery[0]})
    assert by_recovery.status_code == 200 and by_recovery.json()["token"].startswith("gxs_")
    again = await client.post("/api/v1/auth/login/mfa", json={"mfa_token": ticket, "code": recovery[0]})
    assert again.status_code == 422  # a recovery code works once

    log = (await client.get("/api/v1/admin/audit", headers=bearer(by_recovery.json()))).json()
    actions = [item["action"] for item in log["items"]]
    assert "auth.two_factor_enabled" in actions and "auth.second_factor_failed" in actions


async def test_tickets_are_signed_and_codes_are_rate_limited(client: Any) -> None:
    account = await signed_up(client)
    await enable(client, account)
    forged = await client.post("/api/v1/auth/login/mfa", json={"mfa_token": "x.1.y", "code": "123456"})
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "mfa_token"
    ticket = (await first_factor(client, account)).json()["mfa_token"]
    statuses = [
        (await client.post("/api/v1/auth/login/mfa", json={"mfa_token": ticket, "code": "000000"})).status_code
        for _ in range(6)
    ]
    assert statuses[-1] == 429


async def test_turning_two_factor_off_needs_a_code(client: Any) -> None:
    account = await signed_up(client)
    _, recovery = await enable(client, account)
    assert (
        await client.post("/api/v1/me/two-factor/disable", json={"code": "111111"}, headers=bearer(account))
    ).status_code == 422
    assert (
        await client.post("/api/v1/me/two-factor/disable", json={"code": recovery[1]}, headers=bearer(account))
    ).status_code == 204
    assert (await first_factor(client, account)).status_code == 200


async def test_api_tokens_cannot_manage_two_factor(client: Any) -> None:
    account = await signed_up(client)
    created = await client.post("/api/v1/tokens", json={"name": "t", "scopes": ["*:write"]}, headers=bearer(account))
    token = {"Authorization": f"Bearer {created.json()['token']}"}
    assert (await client.post("/api/v1/me/two-factor", headers=token)).status_code == 403


async def test_a_workspace_can_require_two_factor_of_every_member(client: Any) -> None:
    from tests.api.test_admin import join

    owner = await signed_up(client)
    refused = await client.patch("/api/v1/admin/settings", json={"require_two_factor": True}, headers=bearer(owner))
    assert refused.status_code == 409  # not before the admin uses it themselves
    await enable(client, owner)
    member = await join(client, owner, "sales_rep")
    required = await client.patch("/api/v1/admin/settings", json={"require_two_factor": True}, headers=bearer(owner))
    assert required.status_code == 200 and required.json()["require_two_factor"] is True

    blocked = await client.get("/api/v1/pipeline", headers=bearer(member))
    assert blocked.status_code == 403 and blocked.json()["type"].endswith("/two-factor-required")
    assert (await client.get("/api/v1/me", headers=bearer(member))).status_code == 200  # can still set it up
    await enable(client, member)
    assert (await client.get("/api/v1/pipeline", headers=bearer(member))).status_code == 200
    assert (await client.get("/api/v1/pipeline", headers=bearer(owner))).status_code == 200


async def test_me_reports_whether_two_factor_is_on(client: Any) -> None:
    account = await signed_up(client)
    assert (await client.get("/api/v1/me", headers=bearer(account))).json()["user"]["two_factor_enabled"] is False
    await enable(client, account)
    assert (await client.get("/api/v1/me", headers=bearer(account))).json()["user"]["two_factor_enabled"] is True
