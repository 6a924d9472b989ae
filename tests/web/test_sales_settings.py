"""Settings: pipelines with their stages and the loss reasons, over the fake deals API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    csrf,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_deals import FakeDeals


@pytest.fixture(name="deals")
def deals_fixture(fake_api: FakeApi) -> FakeDeals:
    return FakeDeals(fake_api)


def rows_of(pipeline: dict[str, Any]) -> dict[str, list[str]]:
    stages = pipeline["stages"]
    return {
        "stage_id": [s["id"] for s in stages],
        "stage_name": [s["name"] for s in stages],
        "stage_probability": [s["probability"] for s in stages],
        "stage_outcome": [s["outcome"] for s in stages],
    }


def post_rows(client: TestClient[Any], url: str, fields: dict[str, Any]) -> Any:
    return client.post(url, data={**fields, "_csrf_token": csrf(client)}, follow_redirects=False)


def test_pipelines_page_lists_pipelines_with_their_stages(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    response = signed_in.get("/w/settings/pipelines")

    assert response.status_code == 200
    assert "销售流程" in response.text and "初步接触 → 需求确认" in response.text
    assert "Default</span>" in response.text
    assert 'href="/w/settings/loss-reasons"' in response.text  # in the settings navigation


def test_edit_page_shows_each_stage_as_a_row(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    html = signed_in.get(f"/w/settings/pipelines/{deals.default['id']}").text

    assert html.count('name="stage_name"') == 5
    assert 'name="is_default" checked' in html
    assert 'value="需求确认"' in html and 'value="up:1"' in html and 'value="remove:4"' in html


def test_moving_a_row_up_reorders_without_saving(
    signed_in: TestClient[Any], deals: FakeDeals, fake_api: FakeApi
) -> None:
    pipeline = deals.default
    url = f"/w/settings/pipelines/{pipeline['id']}"

    response = post_rows(signed_in, url, {"name": pipeline["name"], **rows_of(pipeline), "action": "up:2"})

    assert response.status_code == 200
    html = response.text
    assert html.index('value="方案报价"') < html.index('value="需求确认"')
    assert fake_api.calls("PUT", f"/api/v1/pipelines/{pipeline['id']}") == []


def test_adding_a_row_puts_an_open_stage_before_won_and_lost(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    pipeline = deals.default
    response = post_rows(
        signed_in,
        f"/w/settings/pipelines/{pipeline['id']}",
        {"name": pipeline["name"], **rows_of(pipeline), "action": "add"},
    )

    html = response.text
    assert html.count('name="stage_name"') == 6
    assert html.index('value="方案报价"') < html.index('name="stage_name" value=""') < html.index('value="赢单"')


def test_save_sends_the_whole_ordered_list_with_kept_ids(
    signed_in: TestClient[Any], deals: FakeDeals, fake_api: FakeApi
) -> None:
    pipeline = deals.default
    rows = rows_of(pipeline)
    first_id = rows["stage_id"][0]
    rows["stage_name"][0] = "初步接洽"
    for column, value in (
        ("stage_id", ""),
        ("stage_name", "商务谈判"),
        ("stage_probability", "80"),
        ("stage_outcome", "open"),
    ):
        rows[column].insert(3, value)

    response = post_rows(
        signed_in,
        f"/w/settings/pipelines/{pipeline['id']}",
        {"name": "销售流程", "is_default": "on", **rows, "action": "save"},
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith("done=pipeline-saved")
    sent = json.loads(fake_api.calls("PUT", f"/api/v1/pipelines/{pipeline['id']}")[0].content)
    assert sent["is_default"] is True
    assert [s["name"] for s in sent["stages"]] == ["初步接洽", "需求确认", "方案报价", "商务谈判", "赢单", "输单"]
    assert sent["stages"][0]["id"] == first_id and "id" not in sent["stages"][3]
    assert deals.default["stages"][0]["id"] == first_id and deals.default["stages"][0]["name"] == "初步接洽"


def test_api_errors_are_shown_at_their_row(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    pipeline = deals.default
    rows = rows_of(pipeline)
    rows["stage_name"][2] = " "
    rows["stage_outcome"][1] = "won"

    response = post_rows(
        signed_in, f"/w/settings/pipelines/{pipeline['id']}", {"name": pipeline["name"], **rows, "action": "save"}
    )

    assert response.status_code == 422
    html = response.text
    assert 'id="field-stages[2].name"' in html
    row = html[html.index('id="field-stages[2].name"') :]
    assert 'aria-invalid="true"' in row[: row.index(">")]
    assert "Stage 3: Stage name" in html  # in the summary, linking to the row
    assert 'id="field-stages-error"' in html and "exactly one won and one lost stage" in html


def test_a_probability_that_is_not_a_number_is_marked_without_asking_the_api(
    signed_in: TestClient[Any], deals: FakeDeals, fake_api: FakeApi
) -> None:
    pipeline = deals.default
    rows = rows_of(pipeline)
    rows["stage_probability"][1] = "lots"

    response = post_rows(
        signed_in, f"/w/settings/pipelines/{pipeline['id']}", {"name": pipeline["name"], **rows, "action": "save"}
    )

    assert response.status_code == 422
    assert "Stage 2: Win probability" in response.text
    assert fake_api.calls("PUT", f"/api/v1/pipelines/{pipeline['id']}") == []


def test_removing_a_stage_that_holds_deals_says_so(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    pipeline = deals.default
    deals.deals_in[pipeline["stages"][1]["id"]] = 4
    rows = rows_of(pipeline)
    for column in rows.values():
        column.pop(1)

    response = post_rows(
        signed_in, f"/w/settings/pipelines/{pipeline['id']}", {"name": pipeline["name"], **rows, "action": "save"}
    )

    assert response.status_code == 409
    assert 'id="stage-in-use"' in response.text
    assert "The stages you removed still hold 4 deals." in response.text
    assert len(deals.default["stages"]) == 5


def test_new_pipeline_starts_with_sensible_stages_and_creates_it(
    signed_in: TestClient[Any], deals: FakeDeals, fake_api: FakeApi
) -> None:
    html = signed_in.get("/w/settings/pipelines/new").text
    assert html.count('name="stage_name"') == 6 and 'value="Qualification"' in html

    rows = {
        "stage_id": [""] * 3,
        "stage_name": ["Lead", "Won", "Lost"],
        "stage_probability": ["20", "100", "0"],
        "stage_outcome": ["open", "won", "lost"],
    }
    response = post_rows(signed_in, "/w/settings/pipelines/new", {"name": "渠道销售", **rows, "action": "save"})

    assert response.status_code == 303
    created = deals.pipelines[-1]
    assert created["name"] == "渠道销售" and [s["name"] for s in created["stages"]] == ["Lead", "Won", "Lost"]
    assert response.headers["location"] == f"/w/settings/pipelines/{created['id']}?done=pipeline-created"


def test_pipelines_page_in_chinese(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get(f"/w/settings/pipelines/{deals.default['id']}").text

    assert "销售流程" in html and "阶段" in html and "赢单概率" in html and "第 3 个阶段" in html


def test_a_member_is_told_the_pages_are_for_administrators(
    signed_in: TestClient[Any], deals: FakeDeals, fake_api: FakeApi
) -> None:
    fake_api.current = 1  # a plain member in the second workspace

    for url in ("/w/settings/pipelines", "/w/settings/loss-reasons", "/w/settings/pipelines/new"):
        response = signed_in.get(url)
        assert response.status_code == 403, url
    assert post_form(signed_in, "/w/settings/loss-reasons", {"name": "x"}).status_code == 403


def test_the_apis_403_is_a_no_access_page_not_an_error(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    deals.is_admin = False
    pipeline = deals.default

    response = post_rows(
        signed_in,
        f"/w/settings/pipelines/{pipeline['id']}",
        {"name": pipeline["name"], **rows_of(pipeline), "action": "save"},
    )

    assert response.status_code == 403
    assert "<html" in response.text or "No access" in response.text


def test_loss_reasons_add_rename_retire_and_reactivate(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    page = signed_in.get("/w/settings/loss-reasons")
    assert page.status_code == 200 and "价格太高" in page.text

    added = post_form(signed_in, "/w/settings/loss-reasons", {"name": "预算取消"})
    assert added.status_code == 303 and deals.reasons[-1]["name"] == "预算取消"

    reason = deals.reasons[0]
    url = f"/w/settings/loss-reasons/{reason['id']}"
    assert post_form(signed_in, url, {"name": "价格偏高", "action": "rename"}).status_code == 303
    assert reason["name"] == "价格偏高"
    assert post_form(signed_in, url, {"name": "", "action": "retire"}).status_code == 303
    assert reason["active"] is False and reason["name"] == "价格偏高"
    assert "Retired" in signed_in.get("/w/settings/loss-reasons").text
    assert post_form(signed_in, url, {"name": "", "action": "reactivate"}).status_code == 303
    assert reason["active"] is True


def test_loss_reason_errors_are_shown(signed_in: TestClient[Any], deals: FakeDeals) -> None:
    blank = post_form(signed_in, "/w/settings/loss-reasons", {"name": " "})
    assert blank.status_code == 422

    duplicate = post_form(signed_in, "/w/settings/loss-reasons", {"name": "价格太高"})
    assert duplicate.status_code == 409 and "Another loss reason already has this name." in duplicate.text
