"""Products (产品) and price lists (价格表): the catalogue everyone reads, which those the API lets change it
(administrators by default) add to, edit and delete; price lists with a row per product and its volume tiers."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from guanxi_web.api_client import ApiCaller, ApiError, Me, PriceList, PriceQuote, Product
from guanxi_web.controllers.customers import customers_page
from guanxi_web.customers import currency_of
from guanxi_web.dependencies import provide_me
from guanxi_web.forms import Form, refusal_status
from guanxi_web.i18n import N_, _
from guanxi_web.products import (
    PRODUCT_FIELDS,
    PriceListForm,
    apply_row_action,
    number_of,
    price_list_body,
    price_list_values,
    product_values,
    read_product,
    read_rows,
    refuse_price_list,
    refuse_product,
    rows_of,
)
from guanxi_web.rendering import fragment
from guanxi_web.session import redirect

log = structlog.get_logger("web.products")
PAGE = 50
PICKER = 200  # active products offered in a price list's product picker
NOTICES = {
    "created": N_("The product is added."),
    "saved": N_("The product is saved."),
    "deleted": N_("The product is deleted. Old quotes and orders keep it; it is no longer offered on new ones."),
    "list-created": N_("The price list is created."),
    "list-saved": N_("The price list is saved."),
}
ACTIVE_FILTERS = {"": N_("All"), "true": N_("Active"), "false": N_("Inactive")}


def notice(request: Request[Any, Any, Any]) -> str | None:
    text = NOTICES.get(request.query_params.get("done") or "")
    return _(text) if text else None


class ProductController(Controller):
    path = "/products"
    tags = ["products"]
    dependencies = {"me": Provide(provide_me)}

    def _page(
        self, request: Request[Any, Any, Any], fragment_name: str, me: Me, title: str, **context: Any
    ) -> Template:
        status = context.pop("status_code", 200)
        page = customers_page(request, fragment_name, me, title, "products", notice=notice(request), **context)
        page.status_code = status
        return page

    # ---- the catalogue

    @get("")
    async def catalogue(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        q = (request.query_params.get("q") or "").strip()[:200]
        status = request.query_params.get("active") or ""
        status = status if status in ACTIVE_FILTERS else ""
        params = {"limit": str(PAGE), **({"q": q} if q else {}), **({"active": status} if status else {})}
        cursor = request.query_params.get("cursor")
        if cursor:
            params["cursor"] = cursor[:500]
        page = await api.products(params)
        context: dict[str, Any] = {
            "page": page,
            "q": q,
            "status": status,
            "filters": ACTIVE_FILTERS,
            "may_change": await api.may_change_catalogue(),
            "currency": currency_of(me),
            "more": cursor is not None,
        }
        if request.headers.get("hx-target") == "product-rows":
            return fragment("products/_rows.html", **context)
        return self._page(request, "products/_list.html", me, _("Products"), **context)

    def _form(
        self, request: Request[Any, Any, Any], me: Me, form: Form, product: Product | None, status: int = 200
    ) -> Template:
        title = product.name if product else _("New product")
        return self._page(
            request, "products/_form.html", me, title, form=form, product=product, status_code=status,
            currency=currency_of(me),
        )  # fmt: skip

    @get("/new")
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        if not await api.may_change_catalogue():
            return redirect(request, "/products")
        return self._form(request, me, Form(PRODUCT_FIELDS, values={"active": "on", "stock": "0"}), None)

    async def _save(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, product_id: str | None
    ) -> Template | Response[Any]:
        product = await api.product(product_id) if product_id else None
        form, body = read_product(await request.form(), with_cost=True)
        if form.invalid:
            return self._form(request, me, form, product, 422)
        try:
            saved = await api.save_product(product_id, body)
        except ApiError as error:
            if error.status in (401, 403, 404):
                raise
            refuse_product(form, error)
            return self._form(request, me, form, product, refusal_status(error))
        log.info("product.saved", product_id=str(saved.id), new=product_id is None)
        return redirect(request, f"/products/{saved.id}?done={'saved' if product_id else 'created'}")

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        return await self._save(request, api, me, None)

    @get("/{product_id:uuid}")
    async def product(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        product_id: FromPath[uuid.UUID],
    ) -> Template:
        found = await api.product(str(product_id))
        if await api.may_change_catalogue():
            return self._form(request, me, Form(PRODUCT_FIELDS, values=product_values(found)), found)
        return self._page(request, "products/_product.html", me, found.name, product=found)

    @post("/{product_id:uuid}")
    async def save(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        product_id: FromPath[uuid.UUID],
    ) -> Template | Response[Any]:
        return await self._save(request, api, me, str(product_id))

    @post("/{product_id:uuid}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], product_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        await api.delete_product(str(product_id))
        log.info("product.deleted", product_id=str(product_id))
        return redirect(request, "/products?done=deleted")

    # ---- price lists

    @get("/price-lists")
    async def price_lists(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template:
        found = await api.price_lists()
        may_change = await api.may_change_catalogue()
        return self._page(
            request, "products/_price_lists.html", me, _("Price lists"), price_lists=found, may_change=may_change
        )

    async def _price_list_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiCaller,
        me: Me,
        form: PriceListForm,
        price_list: PriceList | None,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        offered = (await api.products({"active": "true", "limit": str(PICKER)})).items
        named = {str(p.id): p.name for p in offered}
        if price_list:  # a product on the list that is no longer active keeps its row and its name
            named.update({str(i.product_id): i.product_name for i in price_list.items})
        title = price_list.name if price_list else _("New price list")
        context = {"form": form, "price_list": price_list, "products": sorted(named.items(), key=lambda p: p[1]),
                   "status_code": status, "check": None, "check_error": None, "check_product": "",
                   "check_quantity": "", **extra}  # fmt: skip
        return self._page(request, "products/_price_list.html", me, title, **context)

    @get("/price-lists/new")
    async def new_price_list(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        if not await api.may_change_catalogue():
            return redirect(request, "/products/price-lists")
        values = {"currency": currency_of(me), "active": "on"}
        return await self._price_list_page(request, api, me, PriceListForm(values, []), None, may_change=True)

    @get("/price-lists/{price_list_id:uuid}")
    async def price_list(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        price_list_id: FromPath[uuid.UUID],
    ) -> Template:
        found = await api.price_list(str(price_list_id))
        form = PriceListForm(price_list_values(found), rows_of(found))
        check, check_error = await self._price_check(request, api, found)
        may_change = await api.may_change_catalogue()
        return await self._price_list_page(
            request, api, me, form, found, may_change=may_change, check=check, check_error=check_error,
            check_product=request.query_params.get("check_product") or "",
            check_quantity=(request.query_params.get("check_quantity") or "")[:30],
        )  # fmt: skip

    async def _price_check(
        self, request: Request[Any, Any, Any], api: ApiCaller, price_list: PriceList
    ) -> tuple[PriceQuote | None, str | None]:
        """The price check box: what a quantity of a product costs on this list, tiers applied."""
        product_id = request.query_params.get("check_product") or ""
        text = request.query_params.get("check_quantity") or ""
        if not product_id:
            return None, None
        quantity = number_of(text or "1")
        if quantity is None or quantity <= 0:
            return None, _("Enter a quantity above 0.")
        try:
            return await api.price(str(price_list.id), product_id[:40], str(quantity)), None
        except ApiError as error:
            if error.status not in (400, 422):
                raise
            return None, _("This product has no price on this price list.")

    async def _save_price_list(
        self, request: Request[Any, Any, Any], api: ApiCaller, me: Me, price_list_id: str | None
    ) -> Template | Response[Any]:
        price_list = await api.price_list(price_list_id) if price_list_id else None
        data = await request.form()
        values = {
            "name": str(data.get("name") or ""),
            "currency": str(data.get("currency") or ""),
            "is_default": "on" if data.get("is_default") else "",
            "active": "on" if data.get("active") else "",
        }
        form = PriceListForm(values, read_rows(data))
        if apply_row_action(form.rows, str(data.get("action") or "save")):
            if not await api.may_change_catalogue():  # only saving asks the API; a row action must ask first
                return redirect(
                    request, f"/products/price-lists/{price_list_id}" if price_list_id else "/products/price-lists"
                )
            return await self._price_list_page(request, api, me, form, price_list, may_change=True)
        body = price_list_body(form)
        if body is None:
            return await self._price_list_page(request, api, me, form, price_list, 422, may_change=True)
        try:
            saved = await api.save_price_list(price_list_id, body)
        except ApiError as error:
            if error.status in (401, 403, 404):
                raise
            refuse_price_list(form, error)
            status = refusal_status(error)
            return await self._price_list_page(request, api, me, form, price_list, status, may_change=True)
        log.info("price_list.saved", price_list_id=str(saved.id), items=len(body["items"]))
        done = "list-saved" if price_list_id else "list-created"
        return redirect(request, f"/products/price-lists/{saved.id}?done={done}")

    @post("/price-lists/new")
    async def create_price_list(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiCaller], me: NamedDependency[Me]
    ) -> Template | Response[Any]:
        return await self._save_price_list(request, api, me, None)

    @post("/price-lists/{price_list_id:uuid}")
    async def save_price_list(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiCaller],
        me: NamedDependency[Me],
        price_list_id: FromPath[uuid.UUID],
    ) -> Template | Response[Any]:
        return await self._save_price_list(request, api, me, str(price_list_id))
