"""The customer pool (客户公海): what waits in each pool, claiming (one or many), assigning, the pool's settings;
and on an account, giving it back to the pool or locking it."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me, Pool
from guanxi_web.controllers.customers import customers_page, load_people
from guanxi_web.dependencies import provide_me
from guanxi_web.i18n import _, ngettext
from guanxi_web.pools import (
    GRADES,
    RULE_HINTS,
    RULES,
    SETTING_FIELDS,
    PoolForm,
    chosen_members,
    read_settings,
    reason_text,
    rules_text,
    settings_values,
)
from guanxi_web.rendering import fragment
from guanxi_web.session import redirect, safe_next

log = structlog.get_logger("web.pools")
PAGE = 50


def claim_refusal(error: ApiError) -> str:
    """The API's 409 on a claim, in the reader's language."""
    messages = {
        "already-claimed": _("Someone else claimed it first: it is no longer in the pool."),
        "claim-limit": _("You have reached today's claim limit for this pool."),
        "owned-cap": _("You own as many customers as this pool allows. Give some back before claiming more."),
        "claim-cooldown": _("You gave this customer back recently and may not claim it again yet."),
    }
    return messages.get(error.kind, error.problem.detail)


class PoolController(Controller):
    path = "/pool"
    tags = ["pool"]
    dependencies = {"me": Provide(provide_me)}

    async def _page(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, pool_id: str | None, **extra: Any
    ) -> Template:
        pools = await api.pools()
        current = next((p for p in pools if str(p.id) == pool_id), None) if pool_id else None
        current = current or (pools[0] if pools else None)
        q = (request.query_params.get("q") or "").strip()[:200]
        params = {"limit": str(PAGE), **({"q": q} if q else {})}
        cursor = request.query_params.get("cursor")
        if cursor:
            params["cursor"] = cursor
        page = await api.pool_accounts(str(current.id), params) if current else None
        people = await load_people(api)
        context = {
            "error": None,
            "pools": pools,
            "pool": current,
            "page": page,
            "q": q,
            "people": people,
            "reason_text": reason_text,
            "rules_text": rules_text,
            **extra,
        }
        if request.headers.get("hx-target") == "pool-rows":
            return fragment("pools/_rows.html", **context)
        return customers_page(request, "pools/_pool.html", me, _("Customer pool"), "pool", **context)

    @get("")
    async def default(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._page(request, api, me, request.query_params.get("pool"))

    @get("/{pool_id:uuid}")
    async def one(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        pool_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._page(request, api, me, str(pool_id))

    @post("/{pool_id:uuid}/claim")
    async def claim(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        pool_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        data = await request.form()
        one = request.query_params.get("one")  # a row's own button claims just that row
        ids = [one] if one else [str(v) for v in data.getall("account_ids", []) if v][:200]
        if not ids:
            return await self._page(request, api, me, str(pool_id), error=_("Tick the customers to claim first."))
        try:
            claimed = await api.claim(str(pool_id), ids)
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            return await self._page(request, api, me, str(pool_id), error=claim_refusal(error))
        log.info("pool.claimed", pool_id=str(pool_id), count=len(claimed.claimed))
        if one:  # a row's own button opens the customer just claimed; ticked ones keep one in the pool
            return redirect(request, f"/accounts/{claimed.claimed[0]}?done=claimed")
        notice = ngettext("You claimed %(count)s customer.", "You claimed %(count)s customers.", len(claimed.claimed))
        return await self._page(request, api, me, str(pool_id), notice=notice % {"count": len(claimed.claimed)})

    @post("/{pool_id:uuid}/assign")
    async def assign(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        pool_id: FromPath[uuid.UUID],
    ) -> Template:
        data = await request.form()
        ids = [str(v) for v in data.getall("account_ids", []) if v][:200]
        owner = str(data.get("owner_id") or "")
        if not ids or not owner:
            return await self._page(
                request, api, me, str(pool_id), error=_("Tick the customers and choose who gets them.")
            )
        try:
            await api.assign(str(pool_id), ids, owner)
        except ApiError as error:
            if error.status not in (403, 409, 422):
                raise
            message = _("Only an administrator of this pool may assign.") if error.status == 403 else None
            return await self._page(request, api, me, str(pool_id), error=message or claim_refusal(error))
        notice = ngettext("%(count)s customer assigned.", "%(count)s customers assigned.", len(ids))
        return await self._page(request, api, me, str(pool_id), notice=notice % {"count": len(ids)})

    async def _settings(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        pool: Pool | None,
        form: PoolForm,
        status: int = 200,
    ) -> Template:
        people = await load_people(api)
        departments = await api.departments()
        members, admins = chosen_members(pool)
        form.choices.setdefault("members", members)
        form.choices.setdefault("admins", admins)
        who = [(f"member:{p.id}", p.name) for p in people.values()]
        who += [(f"department:{d.id}", _("Department: %(name)s") % {"name": d.name}) for d in departments]
        return customers_page(
            request,
            "pools/_settings.html",
            me,
            _("Pool settings"),
            "pool",
            status_code=status,
            pool=pool,
            form=form,
            who=who,
            admins=[(f"member:{p.id}", p.name) for p in people.values()],
            rules=RULES,
            rule_hints=RULE_HINTS,
            grades=GRADES,
        )

    @get("/new")
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        return await self._settings(request, api, me, None, PoolForm(SETTING_FIELDS, values=settings_values(None)))

    @get("/{pool_id:uuid}/settings")
    async def settings(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        pool_id: FromPath[uuid.UUID],
    ) -> Template:
        pool = await api.pool(str(pool_id))
        return await self._settings(request, api, me, pool, PoolForm(SETTING_FIELDS, values=settings_values(pool)))

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Response[Any] | Template:
        return await self._save(request, api, me, None)

    @post("/{pool_id:uuid}/settings")
    async def change(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        pool_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Template:
        return await self._save(request, api, me, pool_id)

    async def _save(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, pool_id: uuid.UUID | None
    ) -> Response[Any] | Template:
        data = await request.form()
        pool = await api.pool(str(pool_id)) if pool_id else None
        values, body, errors = read_settings(data)
        form = PoolForm(SETTING_FIELDS, values=values)
        form.choices["members"] = [str(v) for v in data.getall("members", []) if v]
        form.choices["admins"] = [str(v) for v in data.getall("admins", []) if v]
        for name, message in errors.items():
            form.errors.setdefault(name, []).append(message)
        if errors:
            return await self._settings(request, api, me, pool, form, status=422)
        try:
            saved = await api.save_pool(str(pool_id) if pool_id else None, body)
        except ApiError as error:
            if error.status not in (403, 409, 422):
                raise
            if error.status == 403:
                form.summary.append(_("Only a workspace administrator may set up pools."))
            else:
                form.refuse(error)
            return await self._settings(request, api, me, pool, form, status=error.status)
        log.info("pool.saved", pool_id=str(saved.id))
        return redirect(request, safe_next(f"/pool/{saved.id}?done=pool-saved"))


class AccountPoolController(Controller):
    """On an account's page: lock it (it never recycles) or give it back to the pool."""

    path = "/accounts/{account_id:uuid}/pool"
    tags = ["pool"]
    dependencies = {"me": Provide(provide_me)}

    @post("/lock")
    async def lock(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], account_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        data = await request.form()
        locked = str(data.get("locked") or "true") != "false"
        try:
            await api.lock_account(str(account_id), locked)
        except ApiError as error:
            if error.status != 409:
                raise
            return redirect(request, f"/accounts/{account_id}?done=lock-refused#pool")
        return redirect(request, f"/accounts/{account_id}?done={'locked' if locked else 'unlocked'}#pool")

    @post("/release")
    async def release(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], account_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        data = await request.form()
        reason = str(data.get("reason") or "").strip()[:500] or None
        await api.release([str(account_id)], reason)
        log.info("pool.released", account_id=str(account_id))
        return redirect(request, "/accounts?done=released")
