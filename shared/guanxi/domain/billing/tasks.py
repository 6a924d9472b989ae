"""The worker applies each stored Stripe event to its workspace's subscription (one transaction, idempotent), and
tells the owners when a payment failed (dunning) or came through again."""

from __future__ import annotations

import datetime as dt
import math
import uuid

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.config import get_settings
from guanxi.db.base import utcnow
from guanxi.db.tenancy import TenantScope, platform_session, tenant_session
from guanxi.domain.billing import service
from guanxi.domain.billing.models import Subscription
from guanxi.domain.identity.models import Membership
from guanxi.domain.notifications.service import Kind, notify, register_kind
from guanxi.jobs import JobContext, tenant_job

log = structlog.get_logger("billing")

PAYMENT_FAILED = register_kind(
    Kind(
        "billing.payment_failed",
        {
            "en": ("The payment for the workspace failed",
                   "Update the payment method on the billing page within {grace} days, or the workspace becomes "
                   "read-only (nothing is deleted, exports still work)."),
            "zh-Hans": ("工作区付款失败",
                        "请在 {grace} 天内到账单页面更新付款方式，否则工作区将变为只读（数据不会删除，仍可导出）。"),
            "zh-Hant": ("工作區付款失敗",
                        "請在 {grace} 天內到帳單頁面更新付款方式，否則工作區將變為唯讀（資料不會刪除，仍可匯出）。"),
        },
        email="instant",
    )
)  # fmt: skip
PAYMENT_RECOVERED = register_kind(
    Kind(
        "billing.payment_recovered",
        {
            "en": ("The payment came through", "The workspace is paid and writable again. Thank you."),
            "zh-Hans": ("付款成功", "工作区已付款，恢复可编辑。谢谢！"),
            "zh-Hant": ("付款成功", "工作區已付款，恢復可編輯。謝謝！"),
        },
        email="instant",
    )
)  # fmt: skip


TRIAL_ENDING = register_kind(
    Kind(
        "billing.trial_ending",
        {
            "en": ("The free trial ends in {days} days",
                   "Choose a plan on the billing page to keep working without a break. After the trial the "
                   "workspace becomes read-only (nothing is deleted, exports still work) until a plan is paid."),
            "zh-Hans": ("免费试用将在 {days} 天后结束",
                        "请在账单页面选择套餐，以免工作中断。试用结束后工作区将变为只读（数据不会删除，仍可导出），直到付款。"),
            "zh-Hant": ("免費試用將在 {days} 天後結束",
                        "請在帳單頁面選擇方案，以免工作中斷。試用結束後工作區將變為唯讀（資料不會刪除，仍可匯出），直到付款。"),
        },
        email="instant",
    )
)  # fmt: skip
GRACE_ENDING = register_kind(
    Kind(
        "billing.grace_ending",
        {
            "en": ("The workspace becomes read-only in {days} days",
                   "The last payment has still not come through. Update the payment method on the billing page, or "
                   "the workspace becomes read-only (nothing is deleted, exports still work) until it is paid."),
            "zh-Hans": ("工作区将在 {days} 天后变为只读",
                        "上次付款仍未成功。请到账单页面更新付款方式，否则工作区将变为只读（数据不会删除，仍可导出），直到付款。"),
            "zh-Hant": ("工作區將在 {days} 天後變為唯讀",
                        "上次付款仍未成功。請到帳單頁面更新付款方式，否則工作區將變為唯讀（資料不會刪除，仍可匯出），直到付款。"),
        },
        email="instant",
    )
)  # fmt: skip
READ_ONLY = register_kind(
    Kind(
        "billing.read_only",
        {
            "en": ("The workspace is read-only",
                   "Nothing is deleted and exports still work. Pay on the billing page and it is writable again at "
                   "once."),
            "zh-Hans": ("工作区已变为只读", "数据不会删除，仍可导出。在账单页面付款后立即恢复可编辑。"),
            "zh-Hant": ("工作區已變為唯讀", "資料不會刪除，仍可匯出。在帳單頁面付款後立即恢復可編輯。"),
        },
        email="instant",
    )
)  # fmt: skip
RECORDS_FULL = register_kind(
    Kind(
        "billing.records_full",
        {
            "en": ("A web form could not take a lead: the plan is full",
                   "The workspace holds as many records as its plan allows, so the web form \"{form}\" refused a "
                   "visitor's submission. Move to a larger plan on the billing page, or remove records no longer "
                   "needed."),
            "zh-Hans": ("套餐已满，网页表单无法接收线索",
                        "工作区的记录数已达套餐上限，网页表单「{form}」拒绝了访客的提交。请在账单页面升级套餐，或删除不再需要的记录。"),
            "zh-Hant": ("方案已滿，網頁表單無法接收潛在客戶",
                        "工作區的記錄數已達方案上限，網頁表單「{form}」拒絕了訪客的提交。請在帳單頁面升級方案，或刪除不再需要的記錄。"),
        },
        email="instant",
    )
)  # fmt: skip
TRIAL_REMINDERS: tuple[int, ...] = (7, 3, 1)  # days before the trial's end; each reminder once
GRACE_REMINDERS: tuple[int, ...] = (3, 1)  # days before a failed payment's grace ends


async def owners_of(session: AsyncSession, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    found = await session.scalars(
        select(Membership.user_id).where(
            Membership.tenant_id == tenant_id, Membership.role == "owner", Membership.status == "active"
        )
    )
    return set(found)


def reminder_due(sub: Subscription, now: dt.datetime) -> tuple[Kind, dict[str, int], str] | None:
    """What the owners should hear now, if anything: a trial or a grace ending in so many days (at each of the
    reminder days), or that the workspace became read-only; with the key that says it once."""
    status = service.status_of(sub, now)
    if status == "read_only":
        since = sub.payment_failed_at or sub.trial_ends_at
        return (READ_ONLY, {}, f"{READ_ONLY.key}:{since.isoformat()}") if since else None
    if status == "trialing" and sub.stripe_status is None and sub.trial_ends_at is not None:
        deadline, kind, steps = sub.trial_ends_at, TRIAL_ENDING, TRIAL_REMINDERS
    elif status == "past_due" and sub.payment_failed_at is not None:
        deadline = sub.payment_failed_at + dt.timedelta(days=get_settings().billing_grace_days)
        kind, steps = GRACE_ENDING, GRACE_REMINDERS
    else:
        return None
    days = math.ceil((deadline - now) / dt.timedelta(days=1))
    due = min((d for d in steps if days <= d), default=None)
    return None if due is None else (kind, {"days": days}, f"{kind.key}:{deadline.isoformat()}:{due}")


async def remind(job: JobContext, now: dt.datetime | None = None) -> int | None:
    """Tell the owners, in app and by mail, 7, 3 and 1 days before a trial without a subscription ends, 3 and 1 days
    before a failed payment's grace ends, and when the workspace became read-only; each once. The owners told now
    (0: told already), or None when nothing is due."""
    now = now or utcnow()
    async with platform_session() as session:
        sub = await service.subscription_of(session, job.scope.tenant_id)
        due = reminder_due(sub, now) if sub is not None else None
        owners = await owners_of(session, job.scope.tenant_id) if due else set()
    if due is None or not owners:
        return None
    kind, params, key = due
    async with tenant_session(job.scope) as session:
        told = await notify(session, job.scope, kind.key, owners, params, link="/w/settings/billing", key=key)
        await session.commit()
    return told


async def tell_records_full(session: AsyncSession, scope: TenantScope, form_name: str) -> None:
    """A public form refused a visitor because the plan is full: the owners hear of it, once a day. No commit."""
    owners = await owners_of(session, scope.tenant_id)
    await notify(session, scope, RECORDS_FULL.key, owners, {"form": form_name}, link="/w/settings/billing",
                 key=f"{RECORDS_FULL.key}:{utcnow().date().isoformat()}")  # fmt: skip


@tenant_job("billing.remind", time_limit_ms=60_000, max_retries=5)
async def reminders(job: JobContext) -> None:
    await remind(job)


async def in_plan(job: JobContext, feature: str) -> bool:
    """Whether the job's workspace has ``feature`` in its plan (a scheduled job of a plan without it does nothing)."""
    async with platform_session() as session:
        included = await service.has_feature(session, job.scope.tenant_id, feature)
    if not included:
        log.info("job.skipped_not_in_plan", feature=feature)
    return included


async def apply_event(job: JobContext, event_id: str) -> str:
    """Apply the event; when it moved the workspace into or out of a failed payment, its owners hear of it once
    (the notification's key is the failure's time), in app and by mail."""
    async with platform_session() as session:
        sub = await service.subscription_of(session, job.scope.tenant_id)
        before = sub.payment_failed_at if sub else None
        outcome = await service.apply(session, job.scope.tenant_id, event_id)
        after = sub.payment_failed_at if sub else None  # the same row object apply changed
        owners = await owners_of(session, job.scope.tenant_id)
        await session.commit()
    failure = after or before
    if outcome == "applied" and before != after and failure is not None and owners:
        kind = PAYMENT_FAILED if after is not None else PAYMENT_RECOVERED
        async with tenant_session(job.scope) as session:
            await notify(session, job.scope, kind.key, owners, {"grace": get_settings().billing_grace_days},
                         link="/w/settings/billing", key=f"{kind.key}:{failure.isoformat()}")  # fmt: skip
            await session.commit()
    return outcome


@tenant_job("billing.apply_event", time_limit_ms=60_000, max_retries=8)
async def apply(job: JobContext, event_id: str) -> None:
    await apply_event(job, event_id)


async def sync_seats(job: JobContext) -> int | None:
    async with platform_session() as session:
        return await service.sync_seats(session, job.scope.tenant_id)


@tenant_job("billing.sync_seats", time_limit_ms=60_000, max_retries=8)
async def seats(job: JobContext) -> None:
    """Idempotent: it sets Stripe's quantity to the members counted now; a second delivery finds them equal."""
    await sync_seats(job)


async def reconcile(job: JobContext) -> str:
    async with platform_session() as session:
        outcome = await service.reconcile(session, job.scope.tenant_id)
        await session.commit()
    return outcome


@tenant_job("billing.reconcile", time_limit_ms=120_000, max_retries=5)
async def reconcile_daily(job: JobContext) -> None:
    """Nightly for every workspace: Stripe's word against ours; idempotent (a second run finds them in step)."""
    await reconcile(job)
