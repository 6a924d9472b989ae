from __future__ import annotations

from guanxi_tenants.access import markdown_table

from tests.conftest import ROOT


def test_documented_permission_table_is_the_one_in_the_code() -> None:
    assert markdown_table() in (ROOT / "docs" / "access.md").read_text()
