"""Internal announcements with read receipts. Thin: parse, authorize, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.announcements import service
from guanxi.domain.announcements.schemas import AnnouncementIn, AnnouncementOut, AnnouncementPage, Receipts
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_access, provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=200)]


class AnnouncementController(Controller):
    path = "/api/v1/announcements"
    tags = ["announcements"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get(
        "",
        summary="Announcements addressed to you: pinned first, then newest (keyset pages)",
        responses=problems(401, 422),
    )
    async def feed(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        unread: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> AnnouncementPage:
        rows, next_cursor = await service.feed(db, access, unread=unread, cursor=cursor, limit=limit)
        return AnnouncementPage(items=msgspec.convert(rows, list[AnnouncementOut]), next_cursor=next_cursor)

    @post(
        "",
        status_code=201,
        summary="Publish an announcement to everyone or to departments (administrators); the audience is notified",
        responses=problems(400, 401, 403, 422),
    )
    async def publish(
        self,
        data: JSONBody[AnnouncementIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> AnnouncementOut:
        auth.require_token_scope("settings", "write")
        announcement_id = await service.publish(db, access, data)
        answer = await service.open_announcement(db, access, announcement_id)
        await db.commit()
        return msgspec.convert(answer, AnnouncementOut)

    @get(
        "/{announcement_id:uuid}",
        summary="Read an announcement addressed to you (leaves your read receipt)",
        responses=problems(401, 404),
    )
    async def read(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        announcement_id: FromPath[uuid.UUID],
    ) -> AnnouncementOut:
        answer = await service.open_announcement(db, access, announcement_id)
        await db.commit()
        return msgspec.convert(answer, AnnouncementOut)

    @get(
        "/{announcement_id:uuid}/receipts",
        summary="Who has read the announcement and who not (its author and administrators)",
        responses=problems(401, 404),
    )
    async def receipts(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        announcement_id: FromPath[uuid.UUID],
    ) -> Receipts:
        return msgspec.convert(await service.receipts(db, access, announcement_id), Receipts)
