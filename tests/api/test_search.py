"""One search box: 张伟 by 张伟, zhangwei and zhang wei; 深圳华强电子 by 华强; a phone by any 4+ of its digits;
an email by part of it; best match first, with the field that matched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_customers import add_account, add_contact
from tests.conftest import bearer, signed_up


@pytest.fixture
async def directory(client: Any) -> dict[str, Any]:
    owner = await signed_up(client)
    huaqiang = await add_account(client, owner, name="深圳华强电子有限公司", phone="0755-8888 1234")
    acme = await add_account(client, owner, name="Acme Ltd", email="orders@acme.example.com")
    await add_account(client, owner, name="张伟", kind="individual", phone="+86 138 0013 8000")
    await add_contact(
        client, owner, huaqiang["id"], family_name="张", given_name="伟", emails=["zhang.wei@huaqiang.example.cn"]
    )
    await add_contact(client, owner, acme["id"], family_name="Smith", given_name="Jane", phones=["+44 20 7946 0958"])
    await add_account(client, owner, name="张伟明五金店")
    return owner


async def search(client: Any, who: dict[str, Any], query: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/search", params={"q": query}, headers=bearer(who))
    assert response.status_code == 200, response.text
    return list(response.json())


@pytest.mark.parametrize("query", ["张伟", "zhangwei", "zhang wei", "Zhang Wei", "zw", "ＺＨＡＮＧ　ＷＥＩ"])
async def test_zhang_wei_is_found_by_characters_pinyin_and_initials(
    client: Any, directory: dict[str, Any], query: str
) -> None:
    hits = await search(client, directory, query)
    titles = [h["title"] for h in hits]
    assert {"张伟"} <= set(titles)
    assert ("contact", "张伟") in {(h["type"], h["title"]) for h in hits}
    assert "Acme Ltd" not in titles


async def test_an_exact_name_ranks_before_a_longer_one(client: Any, directory: dict[str, Any]) -> None:
    hits = await search(client, directory, "张伟")
    assert hits[0]["title"] == "张伟"
    assert "张伟明五金店" in [h["title"] for h in hits]


@pytest.mark.parametrize("query", ["华强", "华强电子", "huaqiang", "深圳"])
async def test_part_of_a_chinese_company_name_finds_it(client: Any, directory: dict[str, Any], query: str) -> None:
    assert "深圳华强电子有限公司" in [h["title"] for h in await search(client, directory, query)]


@pytest.mark.parametrize(
    ("query", "title", "field"),
    [
        ("8888", "深圳华强电子有限公司", "phone"),
        ("0013 8000", "张伟", "phone"),
        ("7946", "Jane Smith", "phones"),
        ("acme.example", "Acme Ltd", "email"),
        ("zhang.wei@", "张伟", "emails"),
        ("smith", "Jane Smith", "name"),
        ("jane smi", "Jane Smith", "name"),
    ],
)
async def test_phone_digits_email_parts_and_latin_names_show_the_field_that_matched(
    client: Any, directory: dict[str, Any], query: str, title: str, field: str
) -> None:
    hits = await search(client, directory, query)
    assert (title, field) in {(h["title"], h["matched_field"]) for h in hits}, hits


@pytest.mark.parametrize("query", ["", "   ", "x" * 101, "%%%", "😀"])
async def test_empty_or_meaningless_queries_are_refused_naming_q(
    client: Any, directory: dict[str, Any], query: str
) -> None:
    response = await client.get("/api/v1/search", params={"q": query}, headers=bearer(directory))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "q"


@pytest.mark.parametrize("query", ["'; DROP TABLE accounts; --", "a & b | !c", "华强:*", "\\", "_%"])
async def test_query_syntax_in_the_search_box_is_just_text(client: Any, directory: dict[str, Any], query: str) -> None:
    response = await client.get("/api/v1/search", params={"q": query}, headers=bearer(directory))
    assert response.status_code in (200, 422), response.text
