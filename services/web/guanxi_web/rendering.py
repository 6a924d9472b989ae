"""The Jinja2 environment, static asset URLs, and the one helper that renders an app page or its fragment."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import js_lib_htmx
from guanxi import locales
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Stream, Template

from guanxi_web import activities, i18n
from guanxi_web.api_client import Me
from guanxi_web.customers import CHANNELS, COLLABORATOR_ACCESS, HEAT, KINDS, SORTS, STAGES, is_masked, is_unset
from guanxi_web.navigation import ADMIN_ROLES, ROLE_LABELS, SECTIONS, SETTINGS_PAGES
from guanxi_web.session import wants_fragment

PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
# htmx is served from the installed package, never copied into the repository.
HTMX_DIR = Path(js_lib_htmx.__file__).parent / "static" / "htmx"

STATIC_PATH = "/static"
HTMX_PATH = "/vendor/htmx"


@cache
def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """A cache-busting URL: the file's content hash changes the URL whenever the file changes."""
    return f"{STATIC_PATH}/{name}?v={_fingerprint(STATIC_DIR / name)}"


def htmx_url() -> str:
    return f"{HTMX_PATH}/htmx.min.js?v={_fingerprint(HTMX_DIR / 'htmx.min.js')}"


def role_label(role: str) -> str:
    return i18n.gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def is_admin(me: Me) -> bool:
    """Owners and admins see the workspace's administration; the API decides what they may do."""
    return me.workspace is not None and me.workspace.role in ADMIN_ROLES


def in_plan(me: Any, feature: str | None) -> bool:
    """Whether the workspace's plan includes ``feature``: pages leave out what it does not (the API refuses it)."""
    billing = me.billing if isinstance(me, Me) else None
    return feature is None or billing is None or feature in billing.features


def initial(name: str) -> str:
    return (name.strip()[:1] or "?").upper()


def count_of(page: Any) -> str | None:
    """A list's total as shown: "1,234", or "10,000+" past the number the API stops counting at."""
    if page.total is None:
        return None
    if page.total_capped_at is not None and page.total > page.total_capped_at:
        return i18n.number(page.total_capped_at) + "+"
    return i18n.number(page.total)


def template_engine() -> JinjaTemplateEngine:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
    )
    environment.globals.update(
        current_locale=i18n.current_locale,
        LANGUAGES=locales.LABELS,
        SECTIONS=SECTIONS,
        static_url=static_url,
        htmx_url=htmx_url,
        SETTINGS_PAGES=SETTINGS_PAGES,
        role_label=role_label,
        is_admin=is_admin,
        in_plan=in_plan,
        initial=initial,
        count_of=count_of,
        HEAT=HEAT,
        STAGES=STAGES,
        KINDS=KINDS,
        CHANNELS=CHANNELS,
        SORTS=SORTS,
        COLLABORATOR_ACCESS=COLLABORATOR_ACCESS,
        ACTIVITY_KINDS=activities.KINDS,
        DIRECTIONS=activities.DIRECTIONS,
        KIND_FIELDS=activities.KIND_FIELDS,
        local_time=activities.local_time,
        zoned=activities.zoned,
        direction_options=activities.direction_options,
        LOG_BUTTONS=activities.LOG_BUTTONS,
        ACTIVITY_ICONS=activities.ICONS,
        PLAYABLE=activities.PLAYABLE,
    )
    environment.filters.update(
        percent=i18n.percent,
        number=i18n.number,
        when=i18n.when,
        weekday=i18n.weekday,
        day=i18n.day,
        ago=i18n.ago,
        money=i18n.money,
        duration=i18n.duration,
        minutes=activities.minutes,
        filesize=i18n.file_size,
    )
    # ``{% if account.heat is unset %}``: the API left the field out, the reader's role may not see it.
    environment.tests.update(unset=is_unset, masked=is_masked)
    return JinjaTemplateEngine.from_environment(environment)


def app_page(
    request: Request[Any, Any, Any],
    fragment: str,
    *,
    me: Me,
    title: str,
    active: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """The page inside the app shell, or for an HTMX navigation only the fragment for the main area."""
    layout = "layouts/fragment.html" if wants_fragment(request) else "layouts/app.html"
    return Template(
        layout,
        status_code=status_code,
        context={"fragment": fragment, "me": me, "title": title, "active": active, **context},
    )


def fragment(name: str, status_code: int = 200, *, push_url: str | None = None, **context: Any) -> Template:
    """A part of a page for an HTMX request that swaps just that part (rows, a panel). ``push_url`` puts the
    list's own address in the address bar: the form's request carries every field, empty ones too."""
    return Template(
        name, status_code=status_code, context=context, headers={"HX-Push-Url": push_url} if push_url else None
    )


async def passed_on(upstream: httpx.Response) -> AsyncIterator[bytes]:
    """An open API response's body as it arrives; the response is closed at the end."""
    try:
        async for chunk in upstream.aiter_bytes():
            yield chunk
    finally:
        await upstream.aclose()


def csv_download(upstream: httpx.Response, filename: str) -> Stream:
    """One of the API's CSV exports, passed on as it arrives (never held in memory whole)."""
    disposition = upstream.headers.get("content-disposition") or f'attachment; filename="{filename}"'
    return Stream(
        passed_on(upstream),
        media_type=upstream.headers.get("content-type", "text/csv; charset=utf-8"),
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
