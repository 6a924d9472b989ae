"""Activities: logged on an account (and optionally one of its contacts), seen by whoever may see the
account, changed by whoever the activities data scope lets change them; tasks are done or not; the
account's timeline merges its activities with its change history; a calendar shows a member's tasks and
meetings in a time range."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from msgspec import UNSET
from sqlalchemy import ColumnElement, and_, false, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id, utcnow
from guanxi.db.tenancy import scoped
from guanxi.domain.access import repository as access_repository
from guanxi.domain.access.service import Access, not_found_for
from guanxi.domain.activities.models import Activity
from guanxi.domain.activities.schemas import ActivityIn
from guanxi.domain.attachments.models import Attachment
from guanxi.domain.customers import repository as customers_repository
from guanxi.domain.customers import service as customers
from guanxi.domain.customers.models import Account, Contact
from guanxi.domain.customers.repository import decode_cursor, encode_cursor
from guanxi.domain.customers.validation import Cleaner
from guanxi.domain.deals.models import Deal, LossReason
from guanxi.domain.deals.service import fetch as fetch_deal
from guanxi.domain.leads.models import Lead
from guanxi.domain.pipeline.models import PipelineStage
from guanxi.domain.timeline.models import RecordChange
from guanxi.errors import FieldError, forbidden, validation_error

BODY_LENGTH = 20_000
CALENDAR_DAYS = 62
FIELDS = [
    column.name
    for column in Activity.__table__.columns
    if column.name not in ("deleted_at", "deleted_by", "reminded_at")
]


def _row(activity: Activity) -> dict[str, Any]:
    return {name: getattr(activity, name) for name in FIELDS}


def _clean(data: ActivityIn, *, creating: bool, kind: str) -> dict[str, Any]:
    c = Cleaner()
    values: dict[str, Any] = {}
    given = customers.given_fields(data)
    if creating:
        for required in ("kind", "subject"):
            if required not in given:
                c.fail(required, "is required", "required")
        if ("account_id" in given) == ("lead_id" in given):
            c.fail("account_id", "is required: the account (or else the lead, lead_id) it is about", "required")
    for name, value in given.items():
        if name == "subject":
            values[name] = c.text(name, value, 200, required=True)
        elif name == "body":
            values[name] = c.text(name, value, BODY_LENGTH, multiline=True)
        elif name in ("outcome",):
            values[name] = c.text(name, value, 40)
        elif name == "location":
            values[name] = c.text(name, value, 200)
        elif name == "duration_seconds":
            values[name] = c.integer(name, value, 0, 24 * 3600)
        elif isinstance(value, dt.datetime) and value.tzinfo is None:
            c.fail(name, "must carry a time zone (e.g. 2026-11-26T09:30:00+08:00)", "invalid")
        else:
            values[name] = value
    merged_kind = values.get("kind", kind)
    if merged_kind == "task" and creating and not values.get("due_at"):
        c.fail("due_at", "a task needs a due time", "required")
    if values.get("ends_at") and values.get("due_at") and values["ends_at"] < values["due_at"]:
        c.fail("ends_at", "must not be before the start (due_at)", "invalid")
    if c.errors:
        raise validation_error(*c.errors)
    return values


async def _check_account(session: AsyncSession, access: Access, values: dict[str, Any]) -> None:
    """The account must be one the caller can see; the contact, one of that account's; the lead, one the caller
    can see and not yet converted (after that its activities live on the account)."""
    lead_id = values.get("lead_id")
    if lead_id is not None:
        if "contact_id" in values and values["contact_id"] is not None:
            raise validation_error(FieldError("contact_id", "a lead's activity has no contact", "invalid"))
        found = await session.scalar(
            select(Lead.id).where(Lead.id == lead_id, Lead.status != "converted", _leads_seen(access)),
            execution_options=scoped(access.scope),
        )
        if found is None:
            raise validation_error(FieldError("lead_id", "is not an open lead you can see", "not_found"))
        return
    account_id = values.get("account_id")
    if account_id is not None and await customers_repository.fetch_one(session, access, Account, account_id) is None:
        raise validation_error(FieldError("account_id", "is not an account you can see", "not_found"))
    contact_id = values.get("contact_id")
    if contact_id is not None:
        owner = await session.scalar(
            select(Contact.account_id).where(Contact.id == contact_id, Contact.deleted_at.is_(None)),
            execution_options=scoped(access.scope),
        )
        if owner is None or (account_id is not None and owner != account_id):
            raise validation_error(FieldError("contact_id", "is not a contact of this account", "invalid"))


def _leads_seen(access: Access) -> ColumnElement[bool]:
    """The leads one may see: in one's scope, or unowned (the lead pool is open to all who may read leads)."""
    if not access.can("leads", "read"):
        return false()
    return and_(Lead.deleted_at.is_(None), or_(Lead.owner_id.is_(None), access.where("leads", "read", Lead.owner_id)))


def _visible(access: Access) -> ColumnElement[bool]:
    """An activity is seen with its account (跟进记录 follow the customer) or, before conversion, with its lead;
    or when it is one's own."""
    accounts = select(Account.id).where(Account.deleted_at.is_(None), customers_repository.visible(access, Account))
    leads = select(Lead.id).where(_leads_seen(access))
    mine = access.where("activities", "read", Activity.owner_id)
    on_lead = and_(Activity.account_id.is_(None), Activity.lead_id.in_(leads))
    return and_(Activity.deleted_at.is_(None), or_(Activity.account_id.in_(accounts), on_lead, mine))


async def _load(session: AsyncSession, access: Access, activity_id: uuid.UUID, action: str = "read") -> Activity:
    access.require("activities", "read")
    row = await session.scalar(
        select(Activity).where(Activity.id == activity_id, _visible(access)), execution_options=scoped(access.scope)
    )
    if row is None:
        raise not_found_for("Activity")
    if action != "read":
        owners = access.owners("activities", action)
        if owners is not None and row.owner_id not in owners:
            raise forbidden(f"Your role may not {action} this activity.")
    return row


async def check(session: AsyncSession, access: Access, activity_id: uuid.UUID, action: str) -> None:
    """Refuse unless the caller may ``action`` (read or update) this activity."""
    await _load(session, access, activity_id, action)


async def create(session: AsyncSession, access: Access, data: ActivityIn) -> dict[str, Any]:
    access.require("activities", "create")
    values = _clean(data, creating=True, kind=data.kind if data.kind is not UNSET else "")
    owner_id = values.pop("owner_id", access.member_id)
    await customers.check_owner(session, access, "activities", owner_id, "create")
    await _check_account(session, access, values)
    values.setdefault("occurred_at", utcnow())
    activity_id = new_id()
    options = scoped(access.scope)
    await session.execute(
        insert(Activity).values(id=activity_id, owner_id=owner_id, created_by=access.member_id, **values),
        execution_options=options,
    )
    if values["kind"] != "task" and values.get(
        "account_id"
    ):  # the customer was attended to: what the pool and churn warnings read
        await session.execute(
            update(Account)
            .where(Account.id == values["account_id"])
            .values(last_activity_at=func.greatest(func.coalesce(Account.last_activity_at, values["occurred_at"]),
                                                   values["occurred_at"])),
            execution_options=options,
        )  # fmt: skip
    return _row(await _load(session, access, activity_id))


async def get(session: AsyncSession, access: Access, activity_id: uuid.UUID) -> dict[str, Any]:
    return _row(await _load(session, access, activity_id))


async def change(session: AsyncSession, access: Access, activity_id: uuid.UUID, data: ActivityIn) -> dict[str, Any]:
    row = await _load(session, access, activity_id, "update")
    values = _clean(data, creating=False, kind=row.kind)
    if "lead_id" in values or (row.account_id is None and "account_id" in values):
        raise validation_error(FieldError("lead_id", "an activity stays with its lead until the lead is converted"))
    if "owner_id" in values and values["owner_id"] != row.owner_id:
        await customers.check_owner(session, access, "activities", values["owner_id"], "update")
    await _check_account(session, access, {"account_id": values.get("account_id", row.account_id), **values})
    if values:
        await session.execute(
            update(Activity).where(Activity.id == activity_id).values(updated_at=func.now(), **values),
            execution_options=scoped(access.scope),
        )
    return _row(await _load(session, access, activity_id))


async def set_done(session: AsyncSession, access: Access, activity_id: uuid.UUID, done: bool) -> dict[str, Any]:
    row = await _load(session, access, activity_id, "update")
    if row.kind != "task":
        raise validation_error(FieldError("kind", "only a task is done or open", "invalid"))
    await session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(done_at=func.now() if done else None, updated_at=func.now()),
        execution_options=scoped(access.scope),
    )
    return _row(await _load(session, access, activity_id))


async def delete(session: AsyncSession, access: Access, activity_id: uuid.UUID) -> None:
    await _load(session, access, activity_id, "delete")
    await session.execute(
        update(Activity).where(Activity.id == activity_id).values(deleted_at=func.now(), deleted_by=access.member_id),
        execution_options=scoped(access.scope),
    )


async def list_activities(
    session: AsyncSession,
    access: Access,
    *,
    account_id: uuid.UUID | None,
    contact_id: uuid.UUID | None,
    owner_id: uuid.UUID | None,
    kind: str | None,
    open_tasks: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, by keyset over (occurred_at, id)."""
    access.require("activities", "read")
    conditions = [_visible(access)]
    for column, value in ((Activity.account_id, account_id), (Activity.contact_id, contact_id),
                          (Activity.owner_id, owner_id), (Activity.kind, kind)):  # fmt: skip
        if value is not None:
            conditions.append(column == value)
    if open_tasks:
        conditions += [Activity.kind == "task", Activity.done_at.is_(None)]
    if cursor:
        at, last_id = decode_cursor(cursor, dt.datetime.fromisoformat)
        conditions.append(tuple_(Activity.occurred_at, Activity.id) < (at, last_id))
    rows = list(
        await session.scalars(
            select(Activity)
            .where(*conditions)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(limit + 1),
            execution_options=scoped(access.scope),
        )
    )
    next_cursor = encode_cursor(rows[limit - 1].occurred_at, rows[limit - 1].id) if len(rows) > limit else None
    return [_row(row) for row in rows[:limit]], next_cursor


async def calendar_owners(
    session: AsyncSession, access: Access, owner_id: uuid.UUID | None, department_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Whose calendar to show: one's own, a colleague's in one's scope, or the members of a department (and its
    sub-departments) that one's scope reaches; a department none of whose members it reaches is refused."""
    if owner_id is not None and department_id is not None:
        raise validation_error(FieldError("department_id", "choose a person or a department, not both", "invalid"))
    owners = access.owners("activities", "read")
    if department_id is not None:
        members = await access_repository.department_members(session, access.scope, department_id)
        if members is None:
            raise validation_error(FieldError("department_id", "is not a department of this workspace", "invalid"))
        reached = [m for m in members if owners is None or m in owners]
        if not reached:
            raise forbidden("That department's calendar is outside your data scope.")
        return reached
    owner_id = owner_id or access.member_id
    if owners is not None and owner_id not in owners:
        raise forbidden("That calendar is outside your data scope.")
    if not await customers_repository.active_member(session, access, owner_id):
        raise validation_error(FieldError("owner_id", "is not an active member of this workspace", "invalid"))
    return [owner_id]


async def calendar(
    session: AsyncSession,
    access: Access,
    owner_id: uuid.UUID | None,
    start: dt.datetime,
    end: dt.datetime,
    department_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The tasks and meetings due in [start, end) of the people ``calendar_owners`` picks."""
    access.require("activities", "read")
    if end <= start or end - start > dt.timedelta(days=CALENDAR_DAYS):
        raise validation_error(FieldError("end", f"must be after start, at most {CALENDAR_DAYS} days on", "invalid"))
    owners = await calendar_owners(session, access, owner_id, department_id)
    rows = await session.scalars(
        select(Activity)
        .where(
            Activity.owner_id.in_(owners),
            Activity.deleted_at.is_(None),
            Activity.due_at >= start,
            Activity.due_at < end,
            Activity.kind.in_(("task", "meeting", "visit", "call")),
        )
        .order_by(Activity.due_at, Activity.id),
        execution_options=scoped(access.scope),
    )
    return [_row(row) for row in rows]


async def calendar_people(
    session: AsyncSession, access: Access
) -> tuple[list[tuple[uuid.UUID, str, uuid.UUID | None]], list[tuple[uuid.UUID, str, uuid.UUID | None]]]:
    """The colleagues and departments whose calendars one may open: members in one's scope, and departments
    with at least one of them (in the department or below it)."""
    access.require("activities", "read")
    owners = access.owners("activities", "read")
    members, departments = await access_repository.active_members_and_departments(session, access.scope)
    if owners is None:
        return members, departments
    members = [m for m in members if m[0] in owners]
    parents = {d[0]: d[2] for d in departments}
    reached: set[uuid.UUID] = set()
    for _, _, department in members:
        seen: set[uuid.UUID] = set()
        while department is not None and department not in seen:  # a member counts for every department above
            seen.add(department)
            reached.add(department)
            department = parents.get(department)
    return members, [d for d in departments if d[0] in reached]


async def timeline(
    session: AsyncSession, access: Access, account_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The account's activities and the change history of it and its contacts, newest first, one keyset
    over both: (time, id) of the last item."""
    await customers.load(session, access, Account, account_id)
    contacts = select(Contact.id).where(Contact.account_id == account_id)
    deals = select(Deal.id).where(Deal.account_id == account_id, access.where("deals", "read", Deal.owner_id))
    changes = or_(
        and_(RecordChange.record_type == "account", RecordChange.record_id == account_id),
        and_(RecordChange.record_type == "contact", RecordChange.record_id.in_(contacts)),
        and_(RecordChange.record_type == "deal", RecordChange.record_id.in_(deals)),  # the account's deals, too
    )
    return await _merged(session, access, Activity.account_id == account_id, changes, cursor, limit)


async def contact_timeline(
    session: AsyncSession, access: Access, contact_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A contact's own timeline: the activities logged with this contact and the contact's change history."""
    await customers.load(session, access, Contact, contact_id)
    changes = and_(RecordChange.record_type == "contact", RecordChange.record_id == contact_id)
    return await _merged(session, access, Activity.contact_id == contact_id, changes, cursor, limit)


async def deal_timeline(
    session: AsyncSession, access: Access, deal_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A deal's timeline: the follow-ups logged on its account and the deal's own history (opened, moved, changed)."""
    deal = await fetch_deal(session, access, deal_id)
    changes = and_(RecordChange.record_type == "deal", RecordChange.record_id == deal_id)
    return await _merged(session, access, Activity.account_id == deal["account_id"], changes, cursor, limit)


async def lead_timeline(
    session: AsyncSession, access: Access, lead_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A lead's timeline: its activities (also those moved onto the account it became) and its change history.
    The caller has checked that the lead is one they may see."""
    changes = and_(RecordChange.record_type == "lead", RecordChange.record_id == lead_id)
    return await _merged(session, access, Activity.lead_id == lead_id, changes, cursor, limit)


async def _merged(
    session: AsyncSession,
    access: Access,
    activity_filter: ColumnElement[bool],
    change_filter: ColumnElement[bool],
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Activities and changes by one keyset, newest first; each activity with its files (a call's recording)."""
    options = scoped(access.scope)
    after = decode_cursor(cursor, dt.datetime.fromisoformat) if cursor else None
    activity_where = [activity_filter, _visible(access)]
    change_where = [change_filter]
    if after is not None:
        activity_where.append(tuple_(Activity.occurred_at, Activity.id) < after)
        change_where.append(tuple_(RecordChange.occurred_at, RecordChange.id) < after)
    activities = list(
        await session.scalars(
            select(Activity)
            .where(*activity_where)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(limit + 1),
            execution_options=options,
        )
    )
    changes = list(
        await session.scalars(
            select(RecordChange)
            .where(*change_where)
            .order_by(RecordChange.occurred_at.desc(), RecordChange.id.desc())
            .limit(limit + 1),
            execution_options=options,
        )
    )
    files = await _files_of(session, access, [a.id for a in activities])
    items: list[dict[str, Any]] = [
        {"type": "activity", "id": a.id, "at": a.occurred_at, "activity": _row(a), "files": files.get(a.id, [])}
        for a in activities
    ]
    deal_names, names = await _deal_words(session, access, [c for c in changes if c.record_type == "deal"])
    for change in changes:
        module = {"account": "customers", "contact": "contacts", "deal": "deals", "lead": "leads"}.get(
            change.record_type, "contacts"
        )
        shown = {
            name: [access.fields.shape(module, {name: value}, "record").get(name) for value in pair]
            if isinstance(pair, list)
            else pair
            for name, pair in change.changes.items()
            if access.fields.visible(module, name)
        }
        items.append(
            {"type": "change", "id": change.id, "at": change.occurred_at, "action": change.action,
             "actor_id": change.actor_id, "record_type": change.record_type, "record_id": change.record_id,
             "changes": shown, "record_name": deal_names.get(change.record_id),
             "names": names if change.record_type == "deal" else {}}
        )  # fmt: skip
    items.sort(key=lambda item: (item["at"], item["id"]), reverse=True)
    next_cursor = encode_cursor(items[limit - 1]["at"], items[limit - 1]["id"]) if len(items) > limit else None
    return items[:limit], next_cursor


async def _deal_words(
    session: AsyncSession, access: Access, changes: list[RecordChange]
) -> tuple[dict[uuid.UUID, str], dict[str, str]]:
    """For a page's deal changes: the deals' names, and the names of the stages and loss reasons they mention."""
    if not changes:
        return {}, {}
    options = scoped(access.scope)
    deal_names = dict(
        (await session.execute(
            select(Deal.id, Deal.name).where(Deal.id.in_({c.record_id for c in changes})), execution_options=options
        )).all()
    )  # fmt: skip
    mentioned = {
        uuid.UUID(value)
        for c in changes
        for key in ("stage_id", "loss_reason_id")
        for value in (c.changes.get(key) or [])
        if isinstance(value, str) and _is_uuid(value)
    }
    names: dict[str, str] = {}
    if mentioned:
        for model in (PipelineStage, LossReason):
            rows = await session.execute(
                select(model.id, model.name).where(model.id.in_(mentioned)), execution_options=options
            )
            names.update({str(i): n for i, n in rows.all()})
    return deal_names, names


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def _files_of(
    session: AsyncSession, access: Access, activity_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The files of a page of activities in one query, oldest first (the recording before later notes)."""
    if not activity_ids:
        return {}
    rows = await session.scalars(
        select(Attachment)
        .where(
            Attachment.record_type == "activity",
            Attachment.record_id.in_(activity_ids),
            Attachment.deleted_at.is_(None),
        )
        .order_by(Attachment.created_at, Attachment.id),
        execution_options=scoped(access.scope),
    )
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.record_id, []).append(
            {"id": row.id, "filename": row.filename, "content_type": row.content_type, "size_bytes": row.size_bytes}
        )
    return found
