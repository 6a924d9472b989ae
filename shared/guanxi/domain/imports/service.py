"""Imports of accounts and contacts: upload, column mapping (suggested from the header, remembered from
the last import of the same columns), preview, a run in the worker, and undo of the whole import."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.config import get_settings
from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, scoped
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.customfields import service as customfields
from guanxi.domain.imports import reader
from guanxi.domain.imports.models import Import
from guanxi.domain.outbox.service import enqueue
from guanxi.domain.pools.models import Pool
from guanxi.errors import DomainError, FieldError, conflict, validation_error

MODULES = ("customers", "contacts", "leads")
DUPLICATE_MODES = ("skip", "update", "create")
# field -> the column names (normalised) it is suggested for; custom fields match their label and key
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "name": ("name", "company", "companyname", "account", "accountname", "customer", "customername",
                 "客户名称", "客户", "公司名称", "公司", "名称", "客戶名稱", "客戶", "公司名稱", "名稱"),
        "phone": ("phone", "telephone", "tel", "phonenumber", "电话", "联系电话", "手机", "電話", "聯絡電話", "手機"),
        "email": ("email", "e-mail", "mail", "emailaddress", "邮箱", "电子邮件", "電子郵件", "郵箱"),
        "website": ("website", "web", "url", "homepage", "网址", "官网", "網址", "官網"),
        "country": ("country", "国家", "國家"),
        "province": ("province", "state", "region", "省份", "省", "地区", "地區"),
        "city": ("city", "town", "城市", "市"),
        "address": ("address", "street", "地址", "详细地址", "詳細地址"),
        "industry": ("industry", "sector", "行业", "行業"),
        "source": ("source", "leadsource", "来源", "客户来源", "來源", "客戶來源"),
        "tags": ("tags", "tag", "labels", "标签", "標籤"),
        "heat": ("heat", "rating", "热度", "客户热度", "熱度", "客戶熱度"),
        "lifecycle_stage": ("stage", "lifecyclestage", "status", "阶段", "客户阶段", "客戶階段", "階段"),
        "size": ("size", "employees", "companysize", "规模", "人员规模", "規模"),
        "owner": ("owner", "accountowner", "salesrep", "负责人", "负責人", "销售", "業務"),
        "job_title": ("jobtitle", "title", "职位", "職位"),
        "kind": ("type", "kind", "customertype", "类型", "客户类型", "類型", "客戶類型"),
        "value_rating": ("value", "valuerating", "价值", "客户价值", "價值", "客戶價值"),
        "credit_limit": ("creditlimit", "credit", "信用额度", "信用額度"),
        "payment_terms_days": ("paymentterms", "paymenttermsdays", "terms", "账期", "帳期", "付款期限"),
        "birthday": ("birthday", "dateofbirth", "生日", "出生日期"),
        "age": ("age", "年龄", "年齡"),
    },
    "contacts": {
        "account": ("account", "company", "companyname", "customer", "客户名称", "客户", "公司", "客戶名稱", "客戶"),
        "name": ("name", "fullname", "contact", "contactname", "姓名", "联系人", "聯絡人"),
        "family_name": ("familyname", "lastname", "surname", "姓"),
        "given_name": ("givenname", "firstname", "名"),
        "title": ("title", "jobtitle", "position", "职位", "職位", "职务", "職務"),
        "phones": ("phone", "mobile", "telephone", "tel", "电话", "手机", "電話", "手機"),
        "emails": ("email", "e-mail", "mail", "邮箱", "电子邮件", "郵箱", "電子郵件"),
        "wechat": ("wechat", "weixin", "微信"),
        "whatsapp": ("whatsapp",),
        "line": ("line", "lineid"),
        "owner": ("owner", "负责人", "負責人"),
    },
    "leads": {
        "name": ("name", "fullname", "contact", "contactname", "person", "姓名", "联系人", "聯絡人"),
        "company": ("company", "companyname", "account", "organisation", "organization", "公司", "公司名称",
                    "公司名稱", "单位", "單位", "企业", "企業"),
        "title": ("title", "jobtitle", "position", "职位", "職位", "职务", "職務"),
        "phone": ("phone", "mobile", "telephone", "tel", "电话", "手机", "電話", "手機"),
        "email": ("email", "e-mail", "mail", "邮箱", "电子邮件", "郵箱", "電子郵件"),
        "source": ("source", "leadsource", "来源", "线索来源", "來源", "線索來源"),
        "region": ("region", "territory", "province", "area", "地区", "区域", "地區", "區域", "省份"),
        "industry": ("industry", "sector", "行业", "行業"),
        "employees": ("employees", "size", "companysize", "员工人数", "人员规模", "員工人數", "規模"),
        "estimated_value": ("value", "estimatedvalue", "amount", "budget", "预计金额", "預計金額", "预算", "預算"),
        "currency": ("currency", "币种", "幣種", "幣別"),
        "tags": ("tags", "tag", "labels", "标签", "標籤"),
        "description": ("description", "notes", "note", "remark", "备注", "備註", "描述"),
        "owner": ("owner", "负责人", "負責人", "销售", "業務"),
    },
}  # fmt: skip
FIELDS = {module: tuple(names) for module, names in SYNONYMS.items()}


def _normal(text: str) -> str:
    return re.sub(r"[\s_\-.:：()（）*]+", "", text.casefold())


def storage_path(scope: TenantScope, import_id: uuid.UUID) -> Path:
    return Path(get_settings().storage_dir) / "imports" / scope.schema / str(import_id)


async def _get(session: AsyncSession, access: Access, import_id: uuid.UUID) -> Import:
    row = await session.scalar(select(Import).where(Import.id == import_id), execution_options=scoped(access.scope))
    if row is None or (row.created_by != access.member_id and access.scope_of("settings", "update") != "all"):
        raise not_found_for("Import")  # one's own imports; admins see everybody's
    return row


def _require(access: Access, module: str) -> None:
    access.require(module, "create")
    access.require(module, "update")


async def suggest_mapping(session: AsyncSession, access: Access, module: str, header: list[str]) -> dict[str, str]:
    """The mapping of the last import with these very columns, or one guessed from the column names."""
    remembered = await session.scalar(
        select(Import.mapping)
        .where(Import.module == module, Import.header == header, Import.mapping != {})
        .order_by(Import.created_at.desc())
        .limit(1),
        execution_options=scoped(access.scope),
    )
    if remembered:
        return dict(remembered)
    names = {field: {_normal(s) for s in synonyms} for field, synonyms in SYNONYMS[module].items()}
    for custom in await customfields.definitions(session, access, module):
        names[f"custom.{custom.key}"] = {_normal(custom.label), _normal(custom.key)}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, column in enumerate(header):
        for field, known in names.items():
            if _normal(column) in known and field not in taken:
                mapping[str(index)] = field
                taken.add(field)
                break
    return mapping


async def upload(session: AsyncSession, access: Access, module: str, filename: str, source: Path, size: int) -> Import:
    """Keep the uploaded file (already on disk at ``source``), read its header and first rows."""
    _require(access, module)
    clean_name = Path(filename).name[:255] or "upload"
    file_format, encoding = reader.sniff(source, clean_name)
    header, preview = reader.header_and_preview(source, file_format, encoding)
    import_id = new_id()
    target = storage_path(access.scope, import_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, target)
    await session.execute(
        insert(Import).values(
            id=import_id,
            module=module,
            filename=clean_name,
            format=file_format,
            encoding=encoding,
            size_bytes=size,
            header=header,
            preview=preview,
            mapping=await suggest_mapping(session, access, module, header),
            created_by=access.member_id,
        ),
        execution_options=scoped(access.scope),
    )
    return await _get(session, access, import_id)


async def get(session: AsyncSession, access: Access, import_id: uuid.UUID) -> Import:
    return await _get(session, access, import_id)


async def recent(session: AsyncSession, access: Access, module: str) -> list[Import]:
    statement = select(Import).where(Import.module == module).order_by(Import.created_at.desc()).limit(50)
    if access.scope_of("settings", "update") != "all":
        statement = statement.where(Import.created_by == access.member_id)
    return list(await session.scalars(statement, execution_options=scoped(access.scope)))


async def set_mapping(
    session: AsyncSession,
    access: Access,
    import_id: uuid.UUID,
    mapping: dict[str, str | None],
    duplicates: str,
    pool_id: uuid.UUID | None = None,
) -> Import:
    row = await _get(session, access, import_id)
    if row.status != "uploaded":
        raise conflict("mapping", "This import has started: its mapping is fixed.", "import-started")
    known = set(FIELDS[row.module]) | {
        f"custom.{f.key}" for f in await customfields.definitions(session, access, row.module)
    }
    errors: list[FieldError] = []
    cleaned: dict[str, str] = {}
    for column, field in mapping.items():
        where = f"mapping.{column}"
        if not column.isdigit() or int(column) >= len(row.header):
            errors.append(FieldError(where, f"is not a column of this file (0 to {len(row.header) - 1})", "invalid"))
        elif field is None:
            continue
        elif field not in known:
            errors.append(FieldError(where, f"{field!r} is not a field you can import into", "invalid_choice"))
        elif field in cleaned.values():
            errors.append(FieldError(where, f"{field!r} is already taken by another column", "duplicate"))
        elif field != "owner" and access.fields.rule(row.module, field).access != "edit":
            errors.append(FieldError(where, f"your role may not set {field!r}", "field_forbidden"))
        else:
            cleaned[column] = field
    required = {"contacts": ("account",), "leads": ("name", "company")}.get(row.module, ("name",))
    if not errors and not set(required) & set(cleaned.values()):
        wanted = " or ".join(repr(r) for r in required)
        errors.append(FieldError("mapping", f"one column must be imported as {wanted}", "required"))
    if pool_id is not None:
        if row.module != "customers":
            errors.append(FieldError("pool_id", "only accounts are imported into a customer pool", "invalid"))
        elif (
            await session.scalar(select(Pool.id).where(Pool.id == pool_id), execution_options=scoped(access.scope))
            is None
        ):
            errors.append(FieldError("pool_id", "is not a customer pool of this workspace", "invalid"))
    if duplicates not in DUPLICATE_MODES:
        errors.append(FieldError("duplicates", f"must be one of {', '.join(DUPLICATE_MODES)}", "invalid_choice"))
    if errors:
        raise validation_error(*errors)
    await session.execute(
        update(Import).where(Import.id == import_id).values(mapping=cleaned, duplicates=duplicates, pool_id=pool_id),
        execution_options=scoped(access.scope),
    )
    return await _get(session, access, import_id)


async def start(session: AsyncSession, access: Access, import_id: uuid.UUID) -> Import:
    row = await _get(session, access, import_id)
    if row.status != "uploaded":
        raise conflict("status", f"This import is already {row.status}.", "import-started")
    if not row.mapping:
        raise validation_error(FieldError("mapping", "map the columns first", "required"))
    await session.execute(
        update(Import).where(Import.id == import_id).values(status="queued", updated_at=func.now()),
        execution_options=scoped(access.scope),
    )
    await enqueue(session, "imports.run", {"import_id": str(import_id)}, tenant_id=access.scope.tenant_id)
    return await _get(session, access, import_id)


async def undo(session: AsyncSession, access: Access, import_id: uuid.UUID) -> Import:
    row = await _get(session, access, import_id)
    if row.status not in ("done", "failed"):
        raise DomainError(
            detail=f"Only a finished import can be undone; this one is {row.status}.",
            status=409,
            type="import-not-finished",
            title="Conflict",
        )
    await session.execute(
        update(Import).where(Import.id == import_id).values(status="undoing", updated_at=func.now()),
        execution_options=scoped(access.scope),
    )
    await enqueue(session, "imports.undo", {"import_id": str(import_id)}, tenant_id=access.scope.tenant_id)
    return await _get(session, access, import_id)
