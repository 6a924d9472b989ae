"""Accounts, contacts and the search box across them. Thin: parse, authorize the token, call the service."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from guanxi.db.engine import get_sessionmaker
from guanxi.domain.access.service import Access
from guanxi.domain.customers import bulk, service
from guanxi.domain.customers.duplicates import Duplicate
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.repository import Page, Record
from guanxi.domain.customers.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    BulkIn,
    BulkOut,
    ChangeOut,
    CollaboratorIn,
    CollaboratorOut,
    ContactIn,
    ContactOut,
    ContactPage,
    DuplicateOut,
    Heat,
    Kind,
    MergeIn,
    SearchHit,
    Stage,
)
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.views import service as views
from guanxi.errors import FieldError, validation_error
from guanxi.spreadsheet import XlsxSheet, csv_line
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]
Sort = Annotated[
    str,
    Parameter(
        description="-updated_at (default), updated_at, name, -name, -created_at, or cf.<custom field key> "
        "(- before it for descending)",
        max_length=50,
    ),
]


COUNT_HELP = (
    "Also count the matching records (first page only, up to 10,000). Off by default: on a big workspace a "
    "count can cost more than the page; ask for it separately, once."
)


def custom_filters(request: Request[Any, Any, Any]) -> dict[str, str]:
    """``?cf.<key>=value`` query parameters: filters on custom fields."""
    return {key[3:]: value for key, value in request.query_params.items() if key.startswith("cf.") and len(key) > 3}


MODULE_SCOPE = {Account: "customers", Contact: "contacts"}


def duplicate_out(duplicate: Duplicate) -> DuplicateOut:
    return DuplicateOut(id=duplicate.id, name=duplicate.name, city=duplicate.city, reasons=duplicate.reasons)


def account_out(row: dict[str, Any]) -> AccountOut:
    return msgspec.convert(row, AccountOut, from_attributes=False)


def contact_out(row: dict[str, Any]) -> ContactOut:
    return msgspec.convert(row, ContactOut, from_attributes=False)


def account_page(page: Page) -> AccountPage:
    return AccountPage(items=[account_out(row) for row in page.rows], **page_extras(page))


def contact_page(page: Page) -> ContactPage:
    return ContactPage(items=[contact_out(row) for row in page.rows], **page_extras(page))


def page_extras(page: Page) -> dict[str, Any]:
    capped = service.repository.COUNT_CAP if page.total is not None else None
    return {"next_cursor": page.next_cursor, "total": page.total, "total_capped_at": capped}


def account_filters(
    request: Request[Any, Any, Any],
    owner_id: FromQuery[uuid.UUID | None] = None,
    tag: FromQuery[str | None] = None,
    heat: FromQuery[Heat | None] = None,
    lifecycle_stage: FromQuery[Stage | None] = None,
    kind: FromQuery[Kind | None] = None,
    city: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
) -> service.Filters:
    """The filters of the account list and its export (``?cf.<key>=`` for custom fields)."""
    return service.Filters(
        owner_id=owner_id,
        tag=tag,
        heat=heat,
        lifecycle_stage=lifecycle_stage,
        kind=kind,
        city=city,
        q=q,
        custom=custom_filters(request),
    )


def contact_filters(
    request: Request[Any, Any, Any],
    owner_id: FromQuery[uuid.UUID | None] = None,
    account_id: FromQuery[uuid.UUID | None] = None,
    q: FromQuery[str | None] = None,
) -> service.Filters:
    """The filters of the contact list and its export."""
    return service.Filters(owner_id=owner_id, account_id=account_id, q=q, custom=custom_filters(request))


async def with_view(
    db: AsyncSession,
    access: Access,
    view_id: uuid.UUID | None,
    module: str,
    filters: service.Filters,
    sort: str | None,
) -> tuple[service.Filters, str, list[str]]:
    """A list asked for with ``view=``: the saved view's filters and sort under the request's own, and its
    columns (an export carries those)."""
    if view_id is None:
        return filters, sort or "-updated_at", []
    view = await views.get(db, access, view_id)
    if view.module != module:
        raise validation_error(FieldError("view", "is a view of another list", "invalid"))
    return (*views.apply(view, filters, sort), view.columns)


def export_format(request: Request[Any, Any, Any]) -> Literal["csv", "xlsx"]:
    return "xlsx" if request.url.path.endswith(".xlsx") else "csv"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def export_file(
    request: Request[Any, Any, Any],
    auth: AuthContext,
    access: Access,
    db: AsyncSession,
    model: Record,
    filters: service.Filters,
    sort: str,
    kind: Literal["csv", "xlsx"],
    columns: list[str],
) -> Stream:
    """A list as CSV (streamed as it is read) or XLSX (written to a temporary file batch by batch, then
    streamed): memory stays flat however long the list. The export is audited before a row leaves."""
    auth.require_token_scope(MODULE_SCOPE[model], "read")
    export = await service.prepare_export(db, access, model, filters, sort, columns)
    record_type = service.RECORD_TYPE[model]
    await audit_action(
        db,
        auth,
        request,
        f"{record_type}.exported",
        target_type=record_type,
        format=kind,
        filters={key: str(value) for key, value in vars(filters).items() if value not in (None, False, {})},
        columns=export.headers,
    )
    await db.commit()
    disposition = {"Content-Disposition": f'attachment; filename="{record_type}s.{kind}"'}
    if kind == "csv":
        return Stream(csv_lines(export), media_type="text/csv; charset=utf-8", headers=disposition)
    return Stream(xlsx_chunks(export), media_type=XLSX, headers=disposition)


async def csv_lines(export: service.Export) -> AsyncIterator[str]:
    yield "\ufeff" + csv_line(export.headers)  # the BOM makes Excel read UTF-8 (Chinese names) correctly
    async for batch in export.batches(get_sessionmaker()):
        yield "".join(csv_line(export.cells(row)) for row in batch)


async def xlsx_chunks(export: service.Export) -> AsyncIterator[bytes]:
    with tempfile.TemporaryDirectory(prefix="guanxi-export-") as folder:
        path = os.path.join(folder, "export.xlsx")
        sheet = XlsxSheet(export.headers)
        async for batch in export.batches(get_sessionmaker()):
            rows = [export.cells(row) for row in batch]
            await asyncio.to_thread(lambda rows=rows: [sheet.append(row) for row in rows])
        await asyncio.to_thread(sheet.save, path)
        with open(path, "rb") as file:  # noqa: ASYNC230 -- local temporary file, read in 1 MiB chunks
            while chunk := file.read(1 << 20):
                yield chunk


async def run_bulk(
    request: Request[Any, Any, Any], auth: AuthContext, access: Access, db: AsyncSession, model: Record, data: BulkIn
) -> BulkOut:
    auth.require_token_scope(MODULE_SCOPE[model], "write")
    selection = await bulk.bulk_selection(db, access, model, data)
    result = await bulk.run(
        db,
        access,
        model,
        data.action,
        selection,
        owner_id=data.owner_id,
        tags=data.tags,
        pool_id=data.pool_id,
        reason=data.reason,
    )
    await audit_action(
        db,
        auth,
        request,
        f"{service.RECORD_TYPE[model]}.bulk_{data.action}",
        target_type=service.RECORD_TYPE[model],
        changed=result.changed,
        by="ids" if data.ids is not None else "filter",
        owner_id=str(data.owner_id) if data.owner_id else None,
        tags=data.tags,
    )
    await db.commit()
    return BulkOut(changed=result.changed, remaining=result.remaining)


BULK_DESCRIPTION = (
    "Change owner, add or remove tags, delete, or move accounts to the customer pool (`pool_id`, optional "
    "`reason`), for `ids` picked by hand (up to 5,000) or for every record "
    "of a `filter` (the list's filters). At most 5,000 records change per call, only those you may change; "
    "when `remaining` is true, send the same request again."
)


def collaborators_out(rows: list[Any]) -> list[CollaboratorOut]:
    return [
        CollaboratorOut(member_id=row.member_id, name=name, access=row.access, expires_at=row.expires_at)
        for row, name in rows
    ]


class RecordController(Controller):
    """What the account and contact APIs share: the list and its export, bulk actions and the history."""

    model: ClassVar[Record]
    module: ClassVar[str]  # the data-scope module, also the token scope: customers or contacts
    tags = ["customers"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    async def page(
        self,
        db: AsyncSession,
        access: Access,
        filters: service.Filters,
        sort: str | None,
        view: uuid.UUID | None,
        cursor: str | None,
        limit: int,
        count: bool,
    ) -> Page:
        filters, order, _ = await with_view(db, access, view, self.module, filters, sort)
        return await service.list_records(
            db, access, self.model, filters, sort=order, cursor=cursor, limit=limit, count=count
        )

    async def export(
        self,
        request: Request[Any, Any, Any],
        auth: AuthContext,
        access: Access,
        db: AsyncSession,
        filters: service.Filters,
        sort: str | None,
        view: uuid.UUID | None,
    ) -> Stream:
        filters, order, columns = await with_view(db, access, view, self.module, filters, sort)
        return await export_file(request, auth, access, db, self.model, filters, order, export_format(request), columns)

    async def remove(
        self, request: Request[Any, Any, Any], auth: AuthContext, access: Access, db: AsyncSession, record_id: uuid.UUID
    ) -> None:
        auth.require_token_scope(self.module, "write")
        await service.delete_record(db, access, self.model, record_id)
        kind = service.RECORD_TYPE[self.model]
        await audit_action(db, auth, request, f"{kind}.deleted", target_type=kind, target_id=record_id)
        await db.commit()

    async def restore(
        self, request: Request[Any, Any, Any], auth: AuthContext, access: Access, db: AsyncSession, record_id: uuid.UUID
    ) -> dict[str, Any]:
        auth.require_token_scope(self.module, "write")
        row = await service.restore_record(db, access, self.model, record_id)
        kind = service.RECORD_TYPE[self.model]
        await audit_action(db, auth, request, f"{kind}.restored", target_type=kind, target_id=record_id)
        await db.commit()
        return row

    async def merge(
        self,
        request: Request[Any, Any, Any],
        auth: AuthContext,
        access: Access,
        db: AsyncSession,
        record_id: uuid.UUID,
        merge_ids: list[uuid.UUID],
    ) -> dict[str, Any]:
        auth.require_token_scope(self.module, "write")
        merge = service.merge_accounts if self.model is Account else service.merge_contacts
        row = await merge(db, access, record_id, merge_ids)
        kind = service.RECORD_TYPE[self.model]
        merged = [str(i) for i in merge_ids]
        await audit_action(db, auth, request, f"{kind}.merged", target_type=kind, target_id=record_id, merged=merged)
        await db.commit()
        return row

    @post(
        "/bulk",
        status_code=200,
        summary="Bulk action",
        description=BULK_DESCRIPTION,
        responses=problems(400, 401, 403, 422),
    )
    async def bulk(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[BulkIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> BulkOut:
        return await run_bulk(request, auth, access, db, self.model, data)

    @get("/{record_id:uuid}/history", summary="Who changed what, and when", responses=problems(401, 403, 404))
    async def history(
        self,
        record_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[ChangeOut]:
        auth.require_token_scope(self.module, "read")
        return msgspec.convert(await service.history(db, access, self.model, record_id), list[ChangeOut])


class AccountController(RecordController):
    path = "/api/v1/accounts"
    model = Account
    module = "customers"

    @get(
        "",
        summary="Accounts you may see, filtered, sorted, by keyset pages",
        dependencies={"filters": Provide(account_filters, sync_to_thread=False)},
        responses=problems(401, 403, 422),
    )
    async def list_accounts(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        filters: NamedDependency[service.Filters],
        sort: FromQuery[Sort | None] = None,
        view: FromQuery[uuid.UUID | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
        count: FromQuery[Annotated[bool, Parameter(description=COUNT_HELP)]] = False,
    ) -> AccountPage:
        auth.require_token_scope("customers", "read")
        return account_page(await self.page(db, access, filters, sort, view, cursor, limit, count))

    @post(
        "",
        status_code=201,
        summary="Add an account",
        description="The answer lists `possible_duplicates` (same email, same phone, a similar name in the same "
        "city) among the accounts you may see; with `reject_duplicates=true` such an account is refused with 409.",
        responses=problems(400, 401, 403, 409, 422),
    )
    async def create_account(
        self,
        data: JSONBody[AccountIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        reject_duplicates: FromQuery[bool] = False,
    ) -> AccountOut:
        auth.require_token_scope("customers", "write")
        row, found = await service.create_account(db, access, data, reject_duplicates=reject_duplicates)
        await db.commit()
        created = account_out(row)
        created.possible_duplicates = [duplicate_out(d) for d in found]
        return created

    @post(
        "/duplicates",
        status_code=200,
        summary="Accounts that an account with this data would duplicate (nothing is written)",
        responses=problems(400, 401, 403, 422),
    )
    async def check_duplicates(
        self,
        data: JSONBody[AccountIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[DuplicateOut]:
        auth.require_token_scope("customers", "read")
        return [duplicate_out(d) for d in await service.check_duplicates(db, access, data)]

    @post(
        "/{account_id:uuid}/merge",
        status_code=200,
        summary="Merge other accounts into this one: their contacts, team and history move over; they are deleted",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def merge_accounts(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[MergeIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountOut:
        return account_out(await self.merge(request, auth, access, db, account_id, data.merge_ids))

    @get(
        ["/export.csv", "/export.xlsx"],
        summary="Export the accounts of a filtered list as CSV or XLSX (streamed)",
        dependencies={"filters": Provide(account_filters, sync_to_thread=False)},
        responses=problems(401, 403, 422),
    )
    async def export_accounts(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        filters: NamedDependency[service.Filters],
        sort: FromQuery[Sort | None] = None,
        view: FromQuery[uuid.UUID | None] = None,
    ) -> Stream:
        return await self.export(request, auth, access, db, filters, sort, view)

    @get("/deleted", summary="Accounts deleted in the last 30 days (administrators)", responses=problems(401, 403))
    async def deleted_accounts(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> AccountPage:
        auth.require_token_scope("customers", "read")
        return account_page(await service.list_deleted(db, access, Account, cursor, limit))

    @get("/{account_id:uuid}", summary="One account", responses=problems(401, 403, 404))
    async def get_account(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountOut:
        auth.require_token_scope("customers", "read")
        return account_out(await service.get_account(db, access, account_id))

    @patch("/{account_id:uuid}", summary="Change an account", responses=problems(400, 401, 403, 404, 422))
    async def update_account(
        self,
        account_id: FromPath[uuid.UUID],
        data: JSONBody[AccountIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountOut:
        auth.require_token_scope("customers", "write")
        row = await service.update_account(db, access, account_id, data)
        await db.commit()
        return account_out(row)

    @delete(
        "/{account_id:uuid}",
        status_code=204,
        summary="Delete an account and its contacts (restorable for 30 days)",
        responses=problems(401, 403, 404),
    )
    async def delete_account(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        await self.remove(request, auth, access, db, account_id)

    @post(
        "/{account_id:uuid}/restore",
        status_code=200,
        summary="Restore a deleted account with the contacts deleted with it",
        responses=problems(401, 403, 404),
    )
    async def restore_account(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AccountOut:
        return account_out(await self.restore(request, auth, access, db, account_id))

    @get("/{account_id:uuid}/contacts", summary="The contacts of an account", responses=problems(401, 403, 404))
    async def account_contacts(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ContactPage:
        auth.require_token_scope("contacts", "read")
        await service.get_account(db, access, account_id)
        filters = service.Filters(account_id=account_id)
        # An account has few contacts: counting them is cheap, so the first page always says how many.
        page = await service.list_records(
            db, access, Contact, filters, sort="name", cursor=cursor, limit=limit, count=True
        )
        return contact_page(page)

    @get(
        "/{account_id:uuid}/collaborators",
        summary="Who works on this account besides its owner (团队成员)",
        responses=problems(401, 403, 404),
    )
    async def collaborators(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> list[CollaboratorOut]:
        auth.require_token_scope("customers", "read")
        return collaborators_out(await service.list_collaborators(db, access, Account, account_id))

    @put(
        "/{account_id:uuid}/collaborators/{member_id:uuid}",
        status_code=204,
        summary="Add a collaborator or change their access (read / write) and expiry",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def put_collaborator(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[uuid.UUID],
        member_id: FromPath[uuid.UUID],
        data: JSONBody[CollaboratorIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("customers", "write")
        await service.put_collaborator(db, access, Account, account_id, member_id, data)
        await audit_action(
            db,
            auth,
            request,
            "collaborator.granted",
            target_type="account",
            target_id=account_id,
            member_id=str(member_id),
            access=data.access,
            expires_at=data.expires_at.isoformat() if data.expires_at else None,
        )
        await db.commit()

    @delete(
        "/{account_id:uuid}/collaborators/{member_id:uuid}",
        status_code=204,
        summary="Remove a collaborator",
        responses=problems(401, 403, 404),
    )
    async def remove_collaborator(
        self,
        request: Request[Any, Any, Any],
        account_id: FromPath[uuid.UUID],
        member_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("customers", "write")
        await service.remove_collaborator(db, access, Account, account_id, member_id)
        await audit_action(
            db,
            auth,
            request,
            "collaborator.removed",
            target_type="account",
            target_id=account_id,
            member_id=str(member_id),
        )
        await db.commit()


class ContactController(RecordController):
    path = "/api/v1/contacts"
    model = Contact
    module = "contacts"

    @get(
        "",
        summary="Contacts you may see, by keyset pages",
        dependencies={"filters": Provide(contact_filters, sync_to_thread=False)},
        responses=problems(401, 403, 422),
    )
    async def list_contacts(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        filters: NamedDependency[service.Filters],
        sort: FromQuery[Sort | None] = None,
        view: FromQuery[uuid.UUID | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
        count: FromQuery[Annotated[bool, Parameter(description=COUNT_HELP)]] = False,
    ) -> ContactPage:
        auth.require_token_scope("contacts", "read")
        return contact_page(await self.page(db, access, filters, sort, view, cursor, limit, count))

    @post("", status_code=201, summary="Add a contact to an account", responses=problems(400, 401, 403, 422))
    async def create_contact(
        self,
        data: JSONBody[ContactIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContactOut:
        auth.require_token_scope("contacts", "write")
        row, found = await service.create_contact(db, access, data)
        await db.commit()
        created = contact_out(row)
        created.possible_duplicates = [duplicate_out(d) for d in found]
        return created

    @post(
        "/{contact_id:uuid}/merge",
        status_code=200,
        summary="Merge other contacts into this one: phones, emails, activities, files and history move over",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def merge_contacts(
        self,
        request: Request[Any, Any, Any],
        contact_id: FromPath[uuid.UUID],
        data: JSONBody[MergeIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContactOut:
        return contact_out(await self.merge(request, auth, access, db, contact_id, data.merge_ids))

    @get(
        ["/export.csv", "/export.xlsx"],
        summary="Export the contacts of a filtered list as CSV or XLSX (streamed)",
        dependencies={"filters": Provide(contact_filters, sync_to_thread=False)},
        responses=problems(401, 403, 422),
    )
    async def export_contacts(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        filters: NamedDependency[service.Filters],
        sort: FromQuery[Sort | None] = None,
        view: FromQuery[uuid.UUID | None] = None,
    ) -> Stream:
        return await self.export(request, auth, access, db, filters, sort, view)

    @get("/deleted", summary="Contacts deleted in the last 30 days (administrators)", responses=problems(401, 403))
    async def deleted_contacts(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ContactPage:
        auth.require_token_scope("contacts", "read")
        return contact_page(await service.list_deleted(db, access, Contact, cursor, limit))

    @get("/{contact_id:uuid}", summary="One contact", responses=problems(401, 403, 404))
    async def get_contact(
        self,
        contact_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContactOut:
        auth.require_token_scope("contacts", "read")
        return contact_out(await service.get_contact(db, access, contact_id))

    @patch("/{contact_id:uuid}", summary="Change a contact", responses=problems(400, 401, 403, 404, 422))
    async def update_contact(
        self,
        contact_id: FromPath[uuid.UUID],
        data: JSONBody[ContactIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContactOut:
        auth.require_token_scope("contacts", "write")
        row = await service.update_contact(db, access, contact_id, data)
        await db.commit()
        return contact_out(row)

    @delete(
        "/{contact_id:uuid}",
        status_code=204,
        summary="Delete a contact (restorable for 30 days)",
        responses=problems(401, 403, 404),
    )
    async def delete_contact(
        self,
        request: Request[Any, Any, Any],
        contact_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        await self.remove(request, auth, access, db, contact_id)

    @post(
        "/{contact_id:uuid}/restore",
        status_code=200,
        summary="Restore a deleted contact",
        responses=problems(401, 403, 404, 409),
    )
    async def restore_contact(
        self,
        request: Request[Any, Any, Any],
        contact_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContactOut:
        return contact_out(await self.restore(request, auth, access, db, contact_id))


class SearchController(Controller):
    path = "/api/v1/search"
    tags = ["customers"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get(
        "",
        summary="One search box across accounts and contacts: names in Chinese, pinyin or English, phone digits, "
        "email parts; best first, with the field that matched",
        responses=problems(401, 422),
    )
    async def search(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        q: FromQuery[str],
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=50)]] = 20,
    ) -> list[SearchHit]:
        modules = [module for module in ("customers", "contacts") if auth.token_allows(module, "read")]
        return await service.search(db, access, q, limit, modules=modules)
