"""How quotes, contracts, orders, invoices and payments are numbered: read by all, changed by administrators."""

from __future__ import annotations

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.identity.service import AuthContext
from guanxi.domain.numbering import service
from guanxi.domain.numbering.schemas import Kind, NumberingRuleIn, NumberingRuleOut
from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import provide_access, provide_auth
from guanxi_api.openapi import problems


class NumberingController(Controller):
    path = "/api/v1/settings/numbering"
    tags = ["settings"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="The numbering rule of each kind of document, with an example", responses=problems(401, 403))
    async def list_rules(
        self, auth: NamedDependency[AuthContext], access: NamedDependency[Access], db: NamedDependency[AsyncSession]
    ) -> list[NumberingRuleOut]:
        auth.require_token_scope("settings", "read")
        return msgspec.convert(await service.rules(db, access), list[NumberingRuleOut])

    @put("/{kind:str}", summary="Change how a kind of document is numbered", responses=problems(400, 401, 403, 422))
    async def put_rule(
        self,
        kind: FromPath[Kind],
        data: JSONBody[NumberingRuleIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> NumberingRuleOut:
        auth.require_token_scope("settings", "write")
        rule = await service.set_rule(db, access, kind, data.pattern, data.reset)
        await db.commit()
        return msgspec.convert(rule, NumberingRuleOut)
