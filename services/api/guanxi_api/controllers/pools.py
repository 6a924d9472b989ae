"""The customer pool (客户公海): pools and their rules, what waits in them, claims, assignment, locks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.pools import service
from guanxi.domain.pools.schemas import (
    AssignIn,
    ClaimIn,
    ClaimOut,
    LockIn,
    PoolAccountOut,
    PoolAccountPage,
    PoolIn,
    PoolMemberOut,
    PoolOut,
    ReturnOut,
    RuleOut,
)
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]


def pool_out(found: service.PoolDetail) -> PoolOut:
    pool = found.pool
    return PoolOut(
        id=pool.id,
        name=pool.name,
        is_default=pool.is_default,
        daily_claim_limit=pool.daily_claim_limit,
        owned_cap=pool.owned_cap,
        cap_counts_won=pool.cap_counts_won,
        locked_cap=pool.locked_cap,
        reclaim_cooldown_days=pool.reclaim_cooldown_days,
        warn_days=pool.warn_days,
        recycle_won=pool.recycle_won,
        recycle_with_open_deal=pool.recycle_with_open_deal,
        hide_contact_details=pool.hide_contact_details,
        members=[PoolMemberOut(m.member_id, m.department_id, m.is_admin) for m in found.members],
        rules=[RuleOut(r.kind, r.days) for r in found.rules],
        may_manage=found.may_manage,
    )


class PoolController(Controller):
    path = "/api/v1/pools"
    tags = ["pool"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="The customer pools you may claim from, with their rules", responses=problems(401, 403))
    async def list_pools(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[PoolOut]:
        auth.require_token_scope("customers", "read")
        found = await service.details(db, access)
        await db.commit()  # the default pool is made on first use
        return [pool_out(f) for f in found]

    @post("", status_code=201, summary="Set up a pool (administrators)", responses=problems(400, 401, 403, 409, 422))
    async def create_pool(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PoolIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PoolOut:
        auth.require_token_scope("settings", "write")
        pool_id = await service.save(db, access, data)
        await audit_action(db, auth, request, "pool.created", target_type="pool", target_id=pool_id)
        found = await service.detail(db, access, pool_id)
        await db.commit()
        return pool_out(found)

    @get("/{pool_id:uuid}", summary="One pool", responses=problems(401, 403, 404))
    async def get_pool(
        self,
        pool_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PoolOut:
        auth.require_token_scope("customers", "read")
        return pool_out(await service.detail(db, access, pool_id))

    @put(
        "/{pool_id:uuid}",
        summary="Change a pool's settings, members and recycling rules (administrators)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def put_pool(
        self,
        request: Request[Any, Any, Any],
        pool_id: FromPath[uuid.UUID],
        data: JSONBody[PoolIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> PoolOut:
        auth.require_token_scope("settings", "write")
        await service.save(db, access, data, pool_id)
        await audit_action(db, auth, request, "pool.changed", target_type="pool", target_id=pool_id)
        found = await service.detail(db, access, pool_id)
        await db.commit()
        return pool_out(found)

    @delete(
        "/{pool_id:uuid}",
        status_code=204,
        summary="Delete a pool; its accounts move to the default pool",
        responses=problems(401, 403, 404, 409),
    )
    async def delete_pool(
        self,
        request: Request[Any, Any, Any],
        pool_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("settings", "write")
        await service.remove(db, access, pool_id)
        await audit_action(db, auth, request, "pool.deleted", target_type="pool", target_id=pool_id)
        await db.commit()

    @get(
        "/{pool_id:uuid}/accounts",
        summary="The accounts waiting in a pool, most recently returned first (keyset pages)",
        responses=problems(401, 403, 404, 422),
    )
    async def pool_accounts(
        self,
        pool_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        q: FromQuery[Annotated[str | None, Parameter(max_length=200)]] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> PoolAccountPage:
        auth.require_token_scope("customers", "read")
        rows, next_cursor, _ = await service.accounts_in(db, access, pool_id, q, cursor, limit)
        await db.commit()
        return PoolAccountPage(items=msgspec.convert(rows, list[PoolAccountOut]), next_cursor=next_cursor)

    @post(
        "/{pool_id:uuid}/claim",
        status_code=200,
        summary="Claim accounts from the pool (all or none; daily limit, cap and cool-down apply)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def claim(
        self,
        request: Request[Any, Any, Any],
        pool_id: FromPath[uuid.UUID],
        data: JSONBody[ClaimIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ClaimOut:
        auth.require_token_scope("customers", "write")
        left = await service.claim(db, access, pool_id, data.account_ids)
        await audit_action(
            db, auth, request, "pool.claimed", target_type="pool", target_id=pool_id,
            accounts=[str(i) for i in data.account_ids],
        )  # fmt: skip
        await db.commit()
        return ClaimOut(claimed=list(dict.fromkeys(data.account_ids)), claims_left_today=left)

    @post(
        "/{pool_id:uuid}/assign",
        status_code=204,
        summary="Hand accounts from the pool to a member (pool administrators)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def assign(
        self,
        request: Request[Any, Any, Any],
        pool_id: FromPath[uuid.UUID],
        data: JSONBody[AssignIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        auth.require_token_scope("customers", "write")
        await service.assign(db, access, pool_id, data.account_ids, data.owner_id)
        await audit_action(
            db, auth, request, "pool.assigned", target_type="pool", target_id=pool_id,
            owner_id=str(data.owner_id), accounts=[str(i) for i in data.account_ids],
        )  # fmt: skip
        await db.commit()


class AccountPoolController(Controller):
    """The pool side of one owned account: when it would go back, and keeping it (锁定)."""

    path = "/api/v1/accounts/{account_id:uuid}/pool"
    tags = ["pool"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="When this account goes back to its pool unless someone acts", responses=problems(401, 403, 404))
    async def return_status(
        self,
        account_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ReturnOut:
        auth.require_token_scope("customers", "read")
        status = await service.return_status(db, access, account_id)
        await db.commit()
        return msgspec.convert(status, ReturnOut)

    @put(
        "/lock",
        summary="Keep the account from recycling, or let it recycle again (its owner; the pool's cap of locks)",
        responses=problems(400, 401, 403, 404, 409, 422),
    )
    async def lock(
        self,
        account_id: FromPath[uuid.UUID],
        data: JSONBody[LockIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ReturnOut:
        auth.require_token_scope("customers", "write")
        await service.set_locked(db, access, account_id, data.locked)
        status = await service.return_status(db, access, account_id)
        await db.commit()
        return msgspec.convert(status, ReturnOut)
