"""My day (今日待办): what the signed-in person has to do today, in one list, each line one click from its record."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, Me
from guanxi_web.controllers.customers import customers_page
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import N_, _
from guanxi_web.pools import reason_text

# Each section's title and what an empty one says; sections the API adds later show under their key's title.
SECTIONS = {
    "follow_ups": (N_("Follow-ups due"), N_("No follow-ups due today. Well done.")),
    "pool_returns": (N_("Customers about to go back to the pool"), N_("None of your customers is due back soon.")),
    "payments_due": (N_("Payments due"), N_("No payments are due in the next days.")),
    "contracts_expiring": (N_("Contracts expiring"), N_("No contracts expire soon.")),
    "quotes_waiting": (N_("Quotes awaiting an answer"), N_("No quotes are waiting for an answer.")),
    "orders_to_fulfil": (N_("Orders to ship"), N_("No confirmed order is waiting to be shipped.")),
}
LINKS = {"activity": "/accounts/{account_id}#timeline", "account": "/accounts/{record_id}"}


def link(item: Any) -> str:
    if item.record_type == "activity" and item.account_id is None and item.lead_id is not None:
        return f"/leads/{item.lead_id}"
    pattern = LINKS.get(item.record_type, f"/{item.record_type}s/{{record_id}}")
    return pattern.format(record_id=item.record_id, account_id=item.account_id)


class TodoController(Controller):
    path = "/todo"
    tags = ["todo"]
    dependencies = {"me": Provide(provide_me)}

    @get("")
    async def today(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        sections = [s for s in await api.todo() if s.key in SECTIONS]
        context = {"sections": sections, "titles": SECTIONS, "link": link, "reason_text": reason_text,
                   "total": sum(s.count for s in sections)}  # fmt: skip
        return customers_page(request, "todo/_todo.html", me, _("My day"), "todo", **context)
