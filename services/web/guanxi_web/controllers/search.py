"""One search box for accounts and contacts, in the top bar of every workspace page: suggestions as you
type (HTMX swaps them under the box) and a results page at /search?q= that works without JavaScript."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template
from markupsafe import Markup, escape

from guanxi_web.api_client import ApiCaller, ApiError, Me, SearchHit
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.rendering import app_page
from guanxi_web.session import hx_target

SUGGESTIONS = 8
RESULTS = 50
MAX_QUERY = 100
SUGGESTIONS_TARGET = "search-suggestions"
# What found a record: the API names the field (a contact has lists of phones and emails).
MATCHED = {
    "name": N_("Name"),
    "phone": N_("Phone"),
    "phones": N_("Phone"),
    "email": N_("Email"),
    "emails": N_("Email"),
}
TYPES = {"account": N_("Account"), "contact": N_("Contact")}


def hit_href(hit: SearchHit) -> str:
    return f"/accounts/{hit.id}" if hit.type == "account" else f"/contacts/{hit.id}"


def highlight(value: str, query: str) -> Markup:
    """``value`` with the part that matches the query marked; phone digits match whatever their spacing."""
    digits = re.sub(r"\D", "", query)
    if digits and len(digits) >= 3 and not re.sub(r"[\d\s()+\-./]", "", query):
        pattern = r"[\s()\-./]*".join(re.escape(digit) for digit in digits)
    else:
        pattern = re.escape(query.strip())
    found = re.search(pattern, value, re.IGNORECASE) if pattern else None
    if found is None:
        return escape(value)
    start, end = found.span()
    return escape(value[:start]) + Markup("<mark>") + escape(value[start:end]) + Markup("</mark>") + escape(value[end:])


class SearchController(Controller):
    path = "/search"
    tags = ["customers"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def search(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        query = (request.query_params.get("q") or "").strip()[:MAX_QUERY]
        suggesting = hx_target(request) == SUGGESTIONS_TARGET
        hits: list[SearchHit] = []
        problem = None
        if query:
            try:
                hits = await api.search(query, SUGGESTIONS if suggesting else RESULTS)
            except ApiError as error:
                if error.status != 422:
                    raise
                problem = _("Search with letters, Chinese characters, digits or part of an email address.")
        context: dict[str, Any] = {
            "q": query,
            "hits": hits,
            "problem": problem,
            "hit_href": hit_href,
            "highlight": highlight,
            "MATCHED": MATCHED,
            "TYPES": TYPES,
        }
        if suggesting:
            return Template("search/_suggestions.html", context=context)
        return app_page(request, "search/_results.html", me=me, title=_("Search"), active="", **context)
