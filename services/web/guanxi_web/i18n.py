"""Languages of the UI: Babel catalogs compiled in memory at startup, the active locale per request.

English is the source language (the msgids). The active locale lives in a context variable that the
locale middleware sets for each request, so ``_()`` works the same in controllers and templates.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from guanxi import locales

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LOCALE_COOKIE = "gx_locale"
LOCALE_COOKIE_MAX_AGE = 365 * 86400
JUST_NOW = dt.timedelta(minutes=1)

Catalogs = Mapping[str, NullTranslations]

_ENGLISH = NullTranslations()
# Unset until something chooses for the current request (each request runs in its own task/context).
_active: ContextVar[tuple[str, NullTranslations] | None] = ContextVar("guanxi_web_locale", default=None)
# The reader's time zone (GET /api/v1/me's ``timezone``); moments are shown in it. UTC before sign-in.
UTC = ZoneInfo("UTC")
_zone: ContextVar[ZoneInfo | None] = ContextVar("guanxi_web_zone", default=None)


def catalog_dir(locale: str) -> str:
    """``zh-Hans`` -> ``zh_Hans``: the folder name Babel's tools use."""
    return locale.replace("-", "_")


def load_catalogs(directory: Path = TRANSLATIONS_DIR) -> dict[str, NullTranslations]:
    """Compile every ``messages.po`` into a gettext catalog in memory (no ``.mo`` files on disk)."""
    catalogs: dict[str, NullTranslations] = {"en": _ENGLISH}
    for locale in locales.SUPPORTED:
        if locale == "en":
            continue
        po_path = directory / catalog_dir(locale) / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=catalog_dir(locale))
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        catalogs[locale] = Translations(fp=compiled)
    return catalogs


def activate(locale: str, catalogs: Catalogs) -> None:
    if locale not in catalogs:
        locale = locales.DEFAULT
    _active.set((locale, catalogs[locale]))


def chosen() -> bool:
    return _active.get() is not None


def _current() -> tuple[str, NullTranslations]:
    return _active.get() or (locales.DEFAULT, _ENGLISH)


def activate_zone(name: str) -> ZoneInfo:
    """The reader's zone for this request; an unknown name (an API newer than this server's tzdata) is UTC."""
    try:
        zone = ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        zone = UTC
    _zone.set(zone)
    return zone


def current_zone() -> ZoneInfo:
    return _zone.get() or UTC


ZONE_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@functools.cache
def zone_choices() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The IANA zones to pick from, by region ("Asia": "Asia/Shanghai", …), and UTC; not the legacy aliases."""
    zones = available_timezones()
    regions = ((region, tuple(sorted(z for z in zones if z.startswith(region + "/")))) for region in ZONE_REGIONS)
    return (("UTC", ("UTC",)), *regions)


def current_locale() -> str:
    return _current()[0]


def babel_locale() -> str:
    code: str = locales.babel_code(current_locale())
    return code


def gettext(message: str) -> str:
    return _current()[1].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current()[1].ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """One English word with two meanings: "Owner" the role (所有者) and "Owner" of a record (负责人)."""
    translated = _current()[1].pgettext(context, message)
    return str(translated)


_ = gettext


def N_(message: str) -> str:
    return message


def choose_locale(cookie: str | None, user_locale: str | None, accept_language: str | None) -> str:
    """The cookie wins, then the signed-in user's own setting, then what the browser asks for."""
    for candidate in (cookie, user_locale):
        if candidate is not None and candidate in locales.SUPPORTED:
            return candidate
    negotiated: str = locales.negotiate(accept_language)
    return negotiated


def percent(value: Decimal | float, *, of: int = 100) -> str:
    """``Decimal("75")`` -> "75%" in every locale's own way of writing it."""
    return format_percent(Decimal(value) / of, locale=babel_locale())


def number(value: Decimal | float) -> str:
    return format_decimal(value, locale=babel_locale())


def file_size(size: int) -> str:
    """1.2 MB, 340 KB, 12 bytes in the reader's way of writing numbers."""
    if size < 1024:
        return ngettext("%(n)s byte", "%(n)s bytes", size) % {"n": number(size)}
    units = (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3))
    unit, scale = next((u, s) for u, s in reversed(units) if size >= s)
    shown = round(size / scale, 1) if size < 10 * scale else round(size / scale)
    return f"{number(shown)} {unit}"


def duration(seconds: int) -> str:
    """A wait such as "15 minutes" / "15分钟", rounded the way people say it."""
    return format_timedelta(dt.timedelta(seconds=max(seconds, 1)), threshold=1.5, locale=babel_locale())


def money(value: Decimal | None, currency: str) -> str:
    """An amount in the workspace's currency, as the reader writes it: ¥500,000.00, NT$500,000.00."""
    if value is None:
        return "—"
    return format_currency(value, currency, locale=babel_locale())


def day(value: dt.date | None) -> str:
    """A date without a time (Babel's medium format: May 31, 2026 / 2026年5月31日)."""
    if value is None:
        return "—"
    return format_date(value, format="medium", locale=babel_locale())


def weekday(value: dt.date) -> str:
    """A day of the calendar: "Mon, Nov 30" / "11月30日周一"."""
    chinese = babel_locale().startswith("zh")
    return format_date(value, format="MMMd日 EEE" if chinese else "EEE, MMM d", locale=babel_locale())


def ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago, the way people say it ("3 minutes ago", "3分钟前"); the exact moment goes in a title."""
    if value is None:
        return "—"
    elapsed = value - (now or dt.datetime.now(dt.UTC))
    if elapsed > -JUST_NOW:  # also a moment a little ahead of this server's clock
        return gettext("just now")
    return format_timedelta(elapsed, add_direction=True, threshold=1.1, locale=babel_locale())


def when(value: dt.datetime | None) -> str:
    """A moment as the reader writes dates and times (Babel's medium format), or a dash when unknown."""
    if value is None:
        return "—"
    return format_datetime(value, format="medium", tzinfo=current_zone(), locale=babel_locale())
