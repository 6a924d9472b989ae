"""A person's time zone: by default the workspace's (which follows its language), their own IANA zone once
chosen on their profile, back to the workspace's with null; anything but a known IANA name is refused naming
the field, and nothing else of the same request is written."""

from __future__ import annotations

from typing import Any

import pytest
from guanxi.db.tenancy import platform_session
from sqlalchemy import text

from tests.api.test_admin import join
from tests.conftest import bearer, signed_up


async def me(client: Any, who: dict[str, Any]) -> dict[str, Any]:
    return dict((await client.get("/api/v1/me", headers=bearer(who))).json())


@pytest.mark.parametrize(("locale", "zone"), [("zh-Hans", "Asia/Shanghai"), ("zh-Hant", "Asia/Taipei"), ("en", "UTC")])
async def test_the_zone_follows_the_workspaces_language_until_one_is_chosen(
    client: Any, locale: str, zone: str
) -> None:
    owner = await signed_up(client, locale=locale)
    assert (await me(client, owner))["timezone"] == zone
    assert (await me(client, owner))["user"]["timezone"] is None

    chosen = await client.patch("/api/v1/me", json={"timezone": "America/Argentina/Salta"}, headers=bearer(owner))
    assert chosen.status_code == 200 and chosen.json()["timezone"] == "America/Argentina/Salta"
    assert (await me(client, owner))["timezone"] == "America/Argentina/Salta"

    reset = await client.patch("/api/v1/me", json={"timezone": None}, headers=bearer(owner))
    assert reset.status_code == 200 and reset.json()["timezone"] is None
    assert (await me(client, owner))["timezone"] == zone


async def test_the_workspaces_own_zone_wins_over_its_language(client: Any) -> None:
    owner = await signed_up(client, locale="en")
    async with platform_session() as session:
        schema = await session.scalar(
            text("SELECT schema_name FROM platform.tenants WHERE id = CAST(:t AS uuid)"),
            {"t": owner["workspace"]["id"]},
        )
        await session.execute(text(f"UPDATE \"{schema}\".workspace_settings SET timezone = 'Europe/London'"))
        await session.commit()
    assert (await me(client, owner))["timezone"] == "Europe/London"


async def test_a_member_of_two_workspaces_gets_each_workspaces_zone_but_keeps_their_own_choice(
    client: Any,
) -> None:
    shanghai = await signed_up(client, locale="zh-Hans")
    person = await join(client, shanghai, "sales_rep")  # has an English workspace of their own, now in 上海's
    assert (await me(client, person))["timezone"] == "Asia/Shanghai"
    switched = await client.post(
        "/api/v1/workspaces/switch", json={"workspace_id": person["workspace"]["id"]}, headers=bearer(person)
    )
    assert switched.status_code == 200
    assert (await me(client, person))["timezone"] == "UTC"  # their own workspace's, not the other one's
    await client.patch("/api/v1/me", json={"timezone": "Asia/Tokyo"}, headers=bearer(person))
    assert (await me(client, person))["timezone"] == "Asia/Tokyo"
    assert (await me(client, shanghai))["timezone"] == "Asia/Shanghai"  # one person's choice is theirs only


@pytest.mark.parametrize(
    "zone",
    [
        "",
        "   ",
        "Mars/Olympus_Mons",
        "Asia/../../etc",
        "../../etc/passwd",
        "/etc/localtime",
        "Asia/Shanghai\x00",
        "asia/shanghai ",
        "亚洲/上海",
        "😀",
        "\u202eiahgnahS/aisA",
        "'; DROP TABLE platform.users; --",
        "Asia/" + "x" * 200,
        123,
        ["Asia/Shanghai"],
        {"name": "Asia/Shanghai"},
        True,
    ],
)
async def test_a_bad_zone_is_refused_naming_the_field_and_nothing_is_written(client: Any, zone: Any) -> None:
    owner = await signed_up(client, locale="zh-Hans")
    response = await client.patch("/api/v1/me", json={"timezone": zone, "name": "新名字"}, headers=bearer(owner))
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "timezone" in response.text
    after = await me(client, owner)
    assert (after["user"]["name"], after["user"]["timezone"], after["timezone"]) == ("Li Na", None, "Asia/Shanghai")
