"""Invitations: by email with a role, mailed by the worker, single-use, expiring, resend and revoke;
the invited email only; never across tenants."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.redis import RedisBroker
from guanxi.db.tenancy import platform_session
from guanxi.domain.identity.models import Invitation
from guanxi.domain.invitations.service import link_token
from guanxi.domain.outbox.relay import relay_once
from guanxi_dev.mailcatcher import MailStore, start_smtp
from sqlalchemy import text

from tests.conftest import bearer, signed_up, unique_email
from tests.services import PrivateRedis, free_port, set_aside_other_jobs, start_worker, stop_worker, wait_for_mail

NEW_PASSWORD = "sesame orchard lantern 77"


async def invite(client: Any, admin: dict[str, Any], email: str, role: str = "sales_rep") -> dict[str, Any]:
    response = await client.post(
        "/api/v1/admin/invitations", json={"email": email, "role": role}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def token_of(invitation_id: str) -> str:
    async with platform_session() as session:
        invitation = await session.get(Invitation, uuid.UUID(invitation_id))
        assert invitation is not None
        return link_token(invitation)


async def accept(client: Any, token: str, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    return await client.post("/api/v1/invitations/accept", json={"token": token, **fields}, headers=headers or {})


@pytest.mark.xdist_group("outbox")
async def test_invitation_is_mailed_and_accepted_with_a_new_account(client: Any, tmp_path: Path) -> None:
    owner = await signed_up(client, company_name="邀请测试公司", locale="zh-Hans")
    email = unique_email("newhire")
    created = await invite(client, owner, email)
    assert created["status"] == "pending"
    await set_aside_other_jobs(owner["workspace"]["id"])

    redis = PrivateRedis(free_port(), tmp_path / "redis")
    redis.start()
    store, smtp_port = MailStore(tmp_path / "mail"), free_port()
    controller = start_smtp(store, smtp_port)
    broker = RedisBroker(url=redis.url)
    worker = start_worker(redis.url, smtp_port, tmp_path / "worker.log")
    try:
        while await relay_once(broker):
            pass
        mail = await wait_for_mail(store, lambda m: email in m.recipients)
    finally:
        stop_worker(worker)
        broker.close()
        controller.stop()
        redis.stop()
    assert "邀请测试公司" in mail.subject
    token = mail.text.split("token=", 1)[1].split()[0]

    preview = await client.get(f"/api/v1/invitations/{token}")
    assert preview.status_code == 200
    assert preview.json() | {"expires_at": None} == {
        "workspace_name": "邀请测试公司",
        "email": email,
        "role": "sales_rep",
        "invited_by": "Li Na",
        "expires_at": None,
        "account_exists": False,
    }
    joined = await accept(client, token, name="王小明", password=NEW_PASSWORD)
    assert joined.status_code == 200, joined.text
    assert joined.json()["workspace"]["id"] == owner["workspace"]["id"]
    assert joined.json()["workspace"]["role"] == "sales_rep"
    assert joined.json()["user"]["email_verified"] is True
    members = (await client.get("/api/v1/admin/members", headers=bearer(joined.json()))).json()
    assert {m["email"]: m["roles"] for m in members}[email] == ["sales_rep"]

    again = await accept(client, token, name="Someone", password=NEW_PASSWORD)
    assert again.status_code == 404  # single use
    log = (await client.get("/api/v1/admin/audit?action=member.joined", headers=bearer(owner))).json()
    assert log["items"][0]["actor_id"] == joined.json()["user"]["id"]


async def test_a_signed_in_user_with_the_invited_email_joins_and_others_cannot(client: Any) -> None:
    owner = await signed_up(client)
    invited = await signed_up(client)  # has a workspace of their own
    stranger = await signed_up(client)
    token = await token_of((await invite(client, owner, invited["user"]["email"], "viewer"))["id"])

    assert (await accept(client, token)).status_code == 409  # the account exists: sign in first
    assert (await accept(client, token, headers=bearer(stranger))).status_code == 403
    joined = await accept(client, token, headers=bearer(invited))
    assert joined.status_code == 200
    me = (await client.get("/api/v1/me", headers=bearer(joined.json()))).json()
    assert me["workspace"]["id"] == owner["workspace"]["id"] and me["workspace"]["role"] == "viewer"
    assert len(me["workspaces"]) == 2


async def test_resend_replaces_the_link_revoke_and_expiry_close_it(client: Any) -> None:
    owner = await signed_up(client)
    first = await invite(client, owner, unique_email())
    # Make it a day older (with its link), so that the resend below gets a later expiry and a new link.
    async with platform_session() as session:
        await session.execute(
            text("UPDATE platform.invitations SET expires_at = expires_at - interval '1 day' WHERE id = :i"),
            {"i": first["id"]},
        )
        await session.commit()
    older_link = await token_of(first["id"])
    async with platform_session() as session:
        await session.execute(
            text(
                "UPDATE platform.invitations SET token_hash = encode(sha256(convert_to(:t, 'UTF8')), 'hex') "
                "WHERE id = :i"
            ),
            {"i": first["id"], "t": older_link},
        )
        await session.commit()
    old = await token_of(first["id"])
    assert (await client.get(f"/api/v1/invitations/{old}")).status_code == 200  # the older link works until...
    resent = await client.post(f"/api/v1/admin/invitations/{first['id']}/resend", headers=bearer(owner))
    assert resent.status_code == 200
    new = await token_of(first["id"])
    assert new != old
    assert (await client.get(f"/api/v1/invitations/{old}")).status_code == 404
    assert (await client.get(f"/api/v1/invitations/{new}")).status_code == 200

    assert (await client.delete(f"/api/v1/admin/invitations/{first['id']}", headers=bearer(owner))).status_code == 204
    assert (await client.get(f"/api/v1/invitations/{new}")).status_code == 404
    listed = (await client.get("/api/v1/admin/invitations", headers=bearer(owner))).json()
    assert listed[0]["status"] == "revoked"

    expiring = await invite(client, owner, unique_email())
    token = await token_of(expiring["id"])
    async with platform_session() as session:
        await session.execute(
            text("UPDATE platform.invitations SET expires_at = now() - interval '1 minute' WHERE id = :i"),
            {"i": expiring["id"]},
        )
        await session.commit()
    assert (await accept(client, token, name="Late", password=NEW_PASSWORD)).status_code == 404


@pytest.mark.parametrize("token", ["", "garbage", "é.1.x", "00000000-0000-0000-0000-000000000000.9999999999.abc"])
async def test_forged_links_are_not_found(client: Any, token: str) -> None:
    response = await accept(client, token, name="X", password=NEW_PASSWORD)
    assert response.status_code == 404
    assert response.json()["type"].endswith("/invitation-invalid")


async def test_bad_invitations_and_bad_acceptances_name_the_field(client: Any) -> None:
    owner = await signed_up(client)
    for body, field in [
        ({"email": "not-mail"}, "email"),
        ({"email": unique_email(), "role": "king"}, "role"),
        ({"email": owner["user"]["email"]}, "email"),
        ({"email": 5}, "email"),
    ]:
        response = await client.post("/api/v1/admin/invitations", json=body, headers=bearer(owner))
        assert response.status_code in (409, 422), response.text
        assert field in [e["field"] for e in response.json()["errors"]]
    token = await token_of((await invite(client, owner, unique_email()))["id"])
    weak = await accept(client, token, name="Ok", password="password1")
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    nameless = await accept(client, token, name="", password=NEW_PASSWORD)
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["field"] == "name"


async def test_only_admins_invite_and_never_into_another_tenant(client: Any) -> None:
    first, second = await signed_up(client), await signed_up(client)
    created = await invite(client, first, unique_email())
    assert (
        await client.delete(f"/api/v1/admin/invitations/{created['id']}", headers=bearer(second))
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/admin/invitations/{created['id']}/resend", headers=bearer(second))
    ).status_code == 404
    assert (await client.get("/api/v1/admin/invitations", headers=bearer(second))).json() == []
    rep_token = await token_of((await invite(client, first, unique_email("rep")))["id"])
    rep = (await accept(client, rep_token, name="Rep", password=NEW_PASSWORD)).json()
    assert (
        await client.post("/api/v1/admin/invitations", json={"email": unique_email()}, headers=bearer(rep))
    ).status_code == 403
    admin_token = await token_of((await invite(client, first, unique_email("adm"), "admin"))["id"])
    admin = (await accept(client, admin_token, name="Adm", password=NEW_PASSWORD)).json()
    assert (
        await client.post(
            "/api/v1/admin/invitations", json={"email": unique_email(), "role": "owner"}, headers=bearer(admin)
        )
    ).status_code == 403
