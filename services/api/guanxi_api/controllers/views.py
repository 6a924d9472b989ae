"""Saved views of the account and contact lists."""

from __future__ import annotations

import uuid

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.customers.schemas import BulkFilter
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.views import service
from guanxi.domain.views.models import SavedView
from guanxi.domain.views.schemas import ViewIn, ViewOut, ViewPatch
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_access, provide_auth
from guanxi_api.openapi import problems


def view_out(access: Access, view: SavedView) -> ViewOut:
    return ViewOut(
        id=view.id,
        module=view.module,
        name=view.name,
        filters=msgspec.convert(view.filters, BulkFilter),
        sort=view.sort,
        columns=view.columns,
        shared=view.shared,
        owner_id=view.owner_id,
        mine=view.owner_id == access.member_id,
        created_at=view.created_at,
    )


class ViewController(Controller):
    path = "/api/v1/views"
    tags = ["customers"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="Your saved views of a list and those shared with the team", responses=problems(401, 422))
    async def list_views(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        module: FromQuery[str] = "customers",
    ) -> list[ViewOut]:
        auth.require_token_scope(module, "read")
        return [view_out(access, v) for v in await service.list_views(db, access, module)]

    @post(
        "",
        status_code=201,
        summary="Save a view: filters, sort and columns under a name (shared with the team: administrators)",
        responses=problems(400, 401, 403, 409, 422),
    )
    async def create_view(
        self,
        data: JSONBody[ViewIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ViewOut:
        auth.require_token_scope(data.module, "read")
        view = await service.create(db, access, data)
        await db.commit()
        return view_out(access, view)

    @patch("/{view_id:uuid}", summary="Change a saved view", responses=problems(400, 401, 403, 404, 422))
    async def change_view(
        self,
        view_id: FromPath[uuid.UUID],
        data: JSONBody[ViewPatch],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> ViewOut:
        view = await service.change(db, access, view_id, data)
        auth.require_token_scope(view.module, "read")
        await db.commit()
        return view_out(access, view)

    @delete("/{view_id:uuid}", status_code=204, summary="Delete a saved view", responses=problems(401, 403, 404))
    async def delete_view(
        self,
        view_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> None:
        await service.remove(db, access, view_id)
        await db.commit()
