"""The member's notification centre and their notification preferences. Thin: parse, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.notifications import service
from guanxi.domain.notifications.schemas import (
    NotificationOut,
    NotificationPage,
    PreferenceOut,
    PreferencesIn,
    ReadAllOut,
    UnreadCount,
)
from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_auth
from guanxi_api.openapi import problems

Limit = Annotated[int, Parameter(ge=1, le=service.INBOX_LIMIT_MAX)]


async def _preferences(db: AsyncSession, auth: AuthContext) -> list[PreferenceOut]:
    chosen = await service.preferences(db, auth.scope, auth.user.id)
    return [PreferenceOut(kind=kind, in_app=in_app, email=email) for kind, (in_app, email) in chosen.items()]


class NotificationController(Controller):
    path = "/api/v1"
    tags = ["notifications"]
    dependencies = {"auth": Provide(provide_auth)}

    @get("/notifications", summary="Your notifications, newest first (keyset pages)", responses=problems(401, 422))
    async def list_notifications(
        self,
        auth: NamedDependency[AuthContext],
        db: NamedDependency[AsyncSession],
        unread: FromQuery[bool] = False,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> NotificationPage:
        rows, next_cursor = await service.inbox(db, auth.scope, unread=unread, cursor=cursor, limit=limit)
        return NotificationPage(items=msgspec.convert(rows, list[NotificationOut]), next_cursor=next_cursor)

    @get("/notifications/unread-count", summary="How many of your notifications are unread", responses=problems(401))
    async def unread_count(self, auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]) -> UnreadCount:
        return UnreadCount(unread=await service.unread_count(db, auth.scope))

    @post(
        "/notifications/{notification_id:uuid}/read",
        status_code=200,
        summary="Mark one of your notifications read",
        responses=problems(401, 404),
    )
    async def read(
        self,
        auth: NamedDependency[AuthContext],
        db: NamedDependency[AsyncSession],
        notification_id: FromPath[uuid.UUID],
    ) -> NotificationOut:
        row = await service.mark_read(db, auth.scope, notification_id)
        await db.commit()
        return msgspec.convert(row, NotificationOut)

    @post(
        "/notifications/read-all", status_code=200, summary="Mark all your notifications read", responses=problems(401)
    )
    async def read_all(self, auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]) -> ReadAllOut:
        marked = await service.mark_all_read(db, auth.scope)
        await db.commit()
        return ReadAllOut(marked=marked)

    @get(
        "/me/notification-preferences",
        summary="For each kind of notification: shown in the app, and mailed at once, in the digest or not",
        responses=problems(401),
    )
    async def get_preferences(
        self, auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]
    ) -> list[PreferenceOut]:
        return await _preferences(db, auth)

    @put(
        "/me/notification-preferences",
        summary="Change your choices for some kinds of notification",
        responses=problems(400, 401, 422),
    )
    async def put_preferences(
        self, data: JSONBody[PreferencesIn], auth: NamedDependency[AuthContext], db: NamedDependency[AsyncSession]
    ) -> list[PreferenceOut]:
        await service.set_preferences(db, auth.scope, [(i.kind, i.in_app, i.email) for i in data.items])
        answer = await _preferences(db, auth)
        await db.commit()
        return answer
