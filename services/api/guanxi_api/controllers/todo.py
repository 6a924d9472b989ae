"""The reader's to-do list: what is due today across customers, the pool, quotes, contracts and payments."""

from __future__ import annotations

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.todo import service
from guanxi.domain.todo.schemas import TodoOut, TodoSection
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_access, provide_auth
from guanxi_api.openapi import problems


class TodoController(Controller):
    path = "/api/v1/todo"
    tags = ["sales"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get(
        "",
        summary="Your day: follow-ups due, customers about to go back to the pool, and more",
        responses=problems(401),
    )
    async def todo(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> TodoOut:
        auth.require_token_scope("customers", "read")
        return TodoOut(sections=msgspec.convert(await service.todo(db, access), list[TodoSection]))
