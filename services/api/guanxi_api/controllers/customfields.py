"""Custom fields: every member reads the definitions (forms and lists need them); admins change them."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from guanxi.domain.access.service import Access
from guanxi.domain.customfields import service
from guanxi.domain.customfields.models import CustomField
from guanxi.domain.customfields.schemas import CustomFieldIn, CustomFieldOut, CustomFieldPatch, Module
from guanxi.domain.identity.service import AuthContext
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi_api.dependencies import audit_action, provide_access, provide_auth
from guanxi_api.openapi import problems


def field_out(field: CustomField) -> CustomFieldOut:
    return msgspec.convert(field, CustomFieldOut, from_attributes=True)


class CustomFieldController(Controller):
    path = "/api/v1/custom-fields"
    tags = ["customers"]
    dependencies = {"auth": Provide(provide_auth), "access": Provide(provide_access)}

    @get("", summary="The custom fields of a module, in their order", responses=problems(401, 422))
    async def list_fields(
        self,
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        module: FromQuery[Module],
        archived: FromQuery[bool] = False,
    ) -> list[CustomFieldOut]:
        auth.require_token_scope(module, "read")
        return [field_out(f) for f in await service.definitions(db, access, module, archived=archived)]

    @post("", status_code=201, summary="Add a custom field (administrators)", responses=problems(401, 403, 409, 422))
    async def create_field(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CustomFieldIn],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> CustomFieldOut:
        auth.require_token_scope("settings", "write")
        field = await service.create(db, access, data)
        await audit_action(
            db,
            auth,
            request,
            "custom_field.created",
            target_type="custom_field",
            target_id=field.id,
            module=field.module,
            key=field.key,
            type=field.type,
        )
        await db.commit()
        return field_out(field)

    @patch(
        "/{field_id:uuid}",
        summary="Change a custom field's label, options, required flag or position",
        responses=problems(401, 403, 404, 422),
    )
    async def change_field(
        self,
        request: Request[Any, Any, Any],
        field_id: FromPath[uuid.UUID],
        data: JSONBody[CustomFieldPatch],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
    ) -> CustomFieldOut:
        auth.require_token_scope("settings", "write")
        field = await service.change(db, access, field_id, data)
        await audit_action(
            db, auth, request, "custom_field.changed", target_type="custom_field", target_id=field_id, key=field.key
        )
        await db.commit()
        return field_out(field)

    @post(
        "/{field_id:uuid}/archive",
        status_code=200,
        summary="Archive a custom field: hidden and no longer accepted; values are kept",
        responses=problems(401, 403, 404),
    )
    async def archive_field(
        self,
        request: Request[Any, Any, Any],
        field_id: FromPath[uuid.UUID],
        auth: NamedDependency[AuthContext],
        access: NamedDependency[Access],
        db: NamedDependency[AsyncSession],
        restore: FromQuery[bool] = False,
    ) -> CustomFieldOut:
        auth.require_token_scope("settings", "write")
        field = await service.set_archived(db, access, field_id, not restore)
        action = "custom_field.restored" if restore else "custom_field.archived"
        await audit_action(db, auth, request, action, target_type="custom_field", target_id=field_id, key=field.key)
        await db.commit()
        return field_out(field)
