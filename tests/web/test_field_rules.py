"""A role's field permissions in Settings: a grid of the fields each module lets an admin restrict, with
access and masking, saved with PUT /api/v1/admin/roles/{key}/fields; the API's refusals in their cells."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from guanxi.domain.access.fields import CONFIGURABLE, SENSITIVE
from guanxi_api.controllers.admin import FieldRulesOut
from guanxi_web import field_rules
from guanxi_web.api_client import FieldRules
from litestar.testing import TestClient

from tests.web.conftest import (  # noqa: F401 (fixtures)
    FakeApi,
    fake_api_fixture,
    post_form,
    signed_in_fixture,
    web_fixture,
)
from tests.web.fake_admin import FakeAdmin
from tests.web.test_accounts import form_values
from tests.web.test_roles import selected


@pytest.fixture(name="admin")
def admin_fixture(fake_api: FakeApi) -> FakeAdmin:
    return FakeAdmin(fake_api)


def test_the_web_decodes_the_apis_shape_and_labels_every_configurable_field() -> None:
    assert FieldRules.__struct_fields__ == FieldRulesOut.__struct_fields__
    for module, names in CONFIGURABLE.items():
        assert module in field_rules.MODULE_FIELDS
        assert set(names) <= set(field_rules.MODULE_FIELDS[module]), module
    assert set(SENSITIVE) <= set(CONFIGURABLE)


def test_the_fields_tab_shows_access_and_masking_per_field(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    admin.field_rules["manager"] = {
        "customers": {
            "phone": {"access": "edit", "mask": "lists"},
            "credit_limit": {"access": "hidden", "mask": "none"},
        }
    }

    response = signed_in.get("/w/settings/roles/manager/fields")

    assert response.status_code == 200
    html = response.text
    assert re.search(r'<a class="tab" href="/w/settings/roles/manager/fields"[^>]*aria-current="page"', html)
    assert selected(html, "fields.customers.phone.access") == "edit"
    assert selected(html, "fields.customers.phone.mask") == "lists"
    assert selected(html, "fields.customers.credit_limit.access") == "hidden"
    assert selected(html, "fields.contacts.phones.mask") == "none"  # no rule: editable, not masked
    assert 'name="fields.customers.credit_limit.mask"' not in html  # only phones and emails can be masked
    assert "Credit limit" in html and "Phone numbers" in html


def test_the_fields_tab_in_chinese(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    signed_in.cookies.set("gx_locale", "zh-Hans", domain="testserver.local")

    html = signed_in.get("/w/settings/roles/manager/fields").text

    assert "字段权限" in html and "信用额度" in html and "列表中脱敏" in html and "隐藏" in html


def test_saving_sends_the_whole_grid_with_masks_only_where_allowed(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    grid = form_values(signed_in, "/w/settings/roles/manager/fields", "/w/settings/roles/manager/fields")

    response = post_form(
        signed_in,
        "/w/settings/roles/manager/fields",
        {**grid, "fields.customers.email.mask": "everywhere", "fields.customers.heat.access": "hidden"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/w/settings/roles/manager/fields?done=fields-saved"
    sent = json.loads(fake_api.calls("PUT", "/api/v1/admin/roles/manager/fields")[0].content)["fields"]
    assert sent["customers"]["email"] == {"access": "edit", "mask": "everywhere"}
    assert sent["customers"]["heat"] == {"access": "hidden"}
    assert sent["customers"]["credit_limit"] == {"access": "edit"}
    assert set(sent) == set(CONFIGURABLE) and set(sent["contacts"]) == set(CONFIGURABLE["contacts"])
    saved = signed_in.get(response.headers["location"]).text
    assert "The field permissions are saved." in saved
    assert selected(saved, "fields.customers.email.mask") == "everywhere"


def test_an_unknown_choice_is_refused_before_the_api_and_the_apis_errors_land_in_their_cells(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    grid = form_values(signed_in, "/w/settings/roles/manager/fields", "/w/settings/roles/manager/fields")

    tampered = post_form(
        signed_in, "/w/settings/roles/manager/fields", {**grid, "fields.customers.phone.access": "invisible"}
    )
    assert tampered.status_code == 422
    assert 'id="field-fields.customers.phone.access-error"' in tampered.text
    assert not fake_api.calls("PUT", "/api/v1/admin/roles/manager/fields")

    admin.refuse_fields = {
        "field": "fields.contacts.emails.mask",
        "message": "cannot be masked here",
        "code": "invalid",
    }
    refused = post_form(signed_in, "/w/settings/roles/manager/fields", grid)
    assert refused.status_code == 422
    assert re.search(r'id="field-fields.contacts.emails.mask-error"><span>Cannot be masked here', refused.text)
    assert 'href="#field-fields.contacts.emails.mask">Contacts: Email addresses</a>' in refused.text


def test_the_owners_fields_cannot_be_restricted(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    page = signed_in.get("/w/settings/roles/owner/fields").text
    assert "The owner sees and changes every field" in page
    assert "<select" not in page.split('<section class="card form-card perm-card"')[1]

    refused = post_form(signed_in, "/w/settings/roles/owner/fields", {"fields.customers.phone.access": "hidden"})
    assert refused.status_code == 403
    assert not fake_api.calls("PUT", "/api/v1/admin/roles/owner/fields")


def test_the_records_tab_links_to_the_fields_tab(signed_in: TestClient[Any], admin: FakeAdmin) -> None:
    html = signed_in.get("/w/settings/roles/manager").text

    assert re.search(r'<a class="tab" href="/w/settings/roles/manager"[^>]*aria-current="page"', html)
    assert 'href="/w/settings/roles/manager/fields"' in html


def test_custom_fields_are_shown_by_their_label_under_their_own_heading(
    signed_in: TestClient[Any], admin: FakeAdmin, fake_api: FakeApi
) -> None:
    admin.custom_fields = {"customers": {"custom.ke_hu_bian_hao": "客户编号"}}
    admin.field_rules["manager"] = {"customers": {"custom.ke_hu_bian_hao": {"access": "read", "mask": "none"}}}

    html = signed_in.get("/w/settings/roles/manager/fields").text

    customers = html.split('<h3 class="grid-title">')[1]
    own, custom = customers.split('<tr class="group-row"><th scope="colgroup" colspan="3">Custom fields</th></tr>')
    assert "Credit limit" in own and "客户编号" not in own
    assert re.search(r'<th scope="row" class="cell-main perm-module">客户编号</th>', custom)
    assert "custom.ke_hu_bian_hao</th>" not in html
    assert selected(html, "fields.customers.custom.ke_hu_bian_hao.access") == "read"
    contacts = html.split('<h3 class="grid-title">')[2]
    assert "group-row" not in contacts  # no custom fields there: no heading

    cell = "fields.customers.custom.ke_hu_bian_hao.access"
    admin.refuse_fields = {"field": cell, "message": "no", "code": "invalid"}
    values = form_values(signed_in, "/w/settings/roles/manager/fields", "/w/settings/roles/manager/fields")
    refused = post_form(signed_in, "/w/settings/roles/manager/fields", values)
    assert refused.status_code == 422
    assert re.search(rf'<a class="alert-field" href="#field-{cell}">[^<:]+: 客户编号</a>', refused.text)
