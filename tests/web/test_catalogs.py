"""Both Chinese catalogs are complete: every message the code and templates use, translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from guanxi_web import i18n

WEB = Path(i18n.__file__).resolve().parents[1]
LOCALES = ["zh-Hans", "zh-Hant"]


def load(locale: str) -> Catalog:
    path = i18n.TRANSLATIONS_DIR / i18n.catalog_dir(locale) / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        return read_po(po_file, locale=i18n.catalog_dir(locale))


def extracted_ids() -> set[tuple[str | None, str]]:
    """(context, msgid) of every message: "Owner" the role and "Owner" of a record are two messages."""
    with (WEB / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    ids: set[tuple[str | None, str]] = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(WEB / "guanxi_web"), method_map, options_map
    ):
        ids.add((context, message if isinstance(message, str) else message[0]))
    return ids


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale: str) -> None:
    untranslated = [m.id for m in load(locale) if m.id and (not m.string or not all(m.string) or m.fuzzy)]

    assert untranslated == []


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_covers_every_message_in_the_code_and_templates(locale: str) -> None:
    in_catalog = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in load(locale) if m.id}

    missing = extracted_ids() - in_catalog

    assert missing == set(), "run `make messages` and translate the new entries"


def test_extraction_finds_templates_and_code() -> None:
    ids = extracted_ids()

    assert (None, "Customer pool") in ids  # marked in Python with N_()
    assert (None, "Sign in to your workspace") in ids  # a template
    assert ("record", "Owner") in ids and (None, "Owner") in ids  # with and without a context


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    problems = [(message.id, [str(error) for error in errors]) for message, errors in load(locale).check()]

    assert problems == []


def test_catalogs_compile_and_translate_at_startup() -> None:
    catalogs = i18n.load_catalogs()

    assert catalogs["zh-Hans"].gettext("Customers") == "客户"
    assert catalogs["zh-Hant"].gettext("Customers") == "客戶"
    assert catalogs["zh-Hant"].gettext("Settings") == "設定"
    assert catalogs["zh-Hans"].pgettext("record", "Owner") == "负责人"
    assert catalogs["zh-Hans"].gettext("Owner") == "所有者"
