"""Contracts (合同): from an accepted quote or by hand; and the contract settings (expiry reminder days)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.contracts import service
from guanxi.domain.contracts.schemas import ContractIn, ContractOut, ContractPage, ContractSettings, FromQuoteIn
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]
Deps = {"auth": Provide(provide_auth), "access": Provide(provide_access)}


def contract_out(row: dict[str, Any]) -> ContractOut:
    return msgspec.convert(row, ContractOut, from_attributes=True)


class ContractController(Controller):
    path = "/api/v1/contracts"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="Contracts you may see, newest first, by keyset pages", responses=problems(401, 403, 422))
    async def list_contracts(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        status: FromQuery[Literal["draft", "active", "expired", "terminated"] | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        quote_id: FromQuery[uuid.UUID | None] = None,
        expiring_within: FromQuery[Annotated[int | None, Parameter(ge=0, le=366)]] = None,
        q: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> ContractPage:
        auth.require_token_scope("contracts", "read")
        filters = {"status": status, "account_id": account_id, "owner_id": owner_id, "quote_id": quote_id,
                   "expiring_within": expiring_within, "q": q}  # fmt: skip
        rows, next_cursor = await service.list_contracts(db, access, filters=filters, cursor=cursor, limit=limit)
        return ContractPage(items=[contract_out(r) for r in rows], next_cursor=next_cursor)

    @post("", status_code=201, summary="Record a contract by hand", responses=problems(400, 401, 403, 422))
    async def create_contract(
        self, data: JSONBody[ContractIn], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContractOut:  # fmt: skip
        auth.require_token_scope("contracts", "write")
        row = await service.create(db, access, data)
        await db.commit()
        return contract_out(row)

    @get("/{contract_id:uuid}", summary="One contract with its lines", responses=problems(401, 403, 404))
    async def get_contract(
        self, contract_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContractOut:  # fmt: skip
        auth.require_token_scope("contracts", "read")
        return contract_out(await service.fetch(db, access, contract_id))

    @patch("/{contract_id:uuid}", summary="Change a contract", responses=problems(400, 401, 403, 404, 422))
    async def change_contract(
        self, contract_id: FromPath[uuid.UUID], data: JSONBody[ContractIn], auth: NamedDependency[AuthContext],
        access: NamedDependency[Access], db: NamedDependency[AsyncSession],
    ) -> ContractOut:  # fmt: skip
        auth.require_token_scope("contracts", "write")
        row = await service.change(db, access, contract_id, data)
        await db.commit()
        return contract_out(row)

    @delete("/{contract_id:uuid}", status_code=204, summary="Delete a contract", responses=problems(401, 403, 404))
    async def delete_contract(
        self, request: Request[Any, Any, Any], contract_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext],
        access: NamedDependency[Access], db: NamedDependency[AsyncSession],
    ) -> None:  # fmt: skip
        auth.require_token_scope("contracts", "write")
        await service.remove(db, access, contract_id)
        await audit_action(db, auth, request, "contract.deleted", target_type="contract", target_id=contract_id)
        await db.commit()


class QuoteContractController(Controller):
    path = "/api/v1/quotes/{quote_id:uuid}/contract"
    tags = ["sales"]
    dependencies = Deps

    @post("", status_code=201, summary="The contract of an accepted quote (one per quote)",
          responses=problems(400, 401, 403, 404, 409, 422))  # fmt: skip
    async def contract_from_quote(
        self, quote_id: FromPath[uuid.UUID], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession], data: JSONBody[FromQuoteIn | None] = None,
    ) -> ContractOut:  # fmt: skip
        auth.require_token_scope("contracts", "write")
        row = await service.from_quote(db, access, quote_id, data or FromQuoteIn())
        await db.commit()
        return contract_out(row)


class ContractSettingsController(Controller):
    path = "/api/v1/settings/contracts"
    tags = ["sales"]
    dependencies = Deps

    @get("", summary="Contract settings: days before the end date the owner is reminded", responses=problems(401))
    async def contract_settings(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> ContractSettings:
        auth.require_token_scope("contracts", "read")
        access.require("contracts", "read")
        return ContractSettings(reminder_days=await service.reminder_days(db, access.scope))

    @put("", summary="Change the contract settings (administrators)", responses=problems(400, 401, 403, 422))
    async def change_contract_settings(
        self, data: JSONBody[ContractSettings], auth: NamedDependency[AuthContext], access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ContractSettings:  # fmt: skip
        auth.require_token_scope("settings", "write")
        days = await service.set_reminder_days(db, access, data.reminder_days)
        await db.commit()
        return ContractSettings(reminder_days=days)
