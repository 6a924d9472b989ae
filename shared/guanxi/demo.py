"""The demo workspace that ``make run`` creates: a known login over a realistic small company.

上海华强电子有限公司, run by 张伟 (owner), with a sales department of two regional teams, service and
marketing, five colleagues who can all sign in with the same demo password, and 300 customers (Chinese and
English) with their contacts and a history of calls, visits, meetings, notes and tasks, owned by the sales
people.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.db.base import new_id
from guanxi.db.tenancy import TenantScope, platform_session, scoped
from guanxi.domain.access.models import Department, Member
from guanxi.domain.billing.models import Subscription
from guanxi.domain.billing.plans import catalogue
from guanxi.domain.customers.generator import generate, generate_activities
from guanxi.domain.identity import repository
from guanxi.domain.identity.models import Membership, User
from guanxi.domain.identity.passwords import hash_password
from guanxi.domain.identity.service import SignupInput, signup
from guanxi.domain.leads import service as leads
from guanxi.domain.leads.models import AssignmentRule, LeadForm
from guanxi.domain.tenancy.repository import add_member

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "Guanxi-Demo-2026!"  # noqa: S105 (a published demo login, local only)

DEMO_ACCOUNTS = 300  # with about three contacts each

# department, parent
DEPARTMENTS = [("销售部", None), ("华东销售组", "销售部"), ("华南销售组", "销售部"), ("客服部", None), ("市场部", None)]
# name, email, role, department, manager (by name; None: reports to nobody), heads the department?
PEOPLE = [
    ("李娜", "li.na@example.com", "manager", "销售部", None, True),
    ("王强", "wang.qiang@example.com", "sales_rep", "华东销售组", "李娜", False),
    ("陈静", "chen.jing@example.com", "sales_rep", "华南销售组", "李娜", False),
    ("刘洋", "liu.yang@example.com", "service_agent", "客服部", None, True),
    ("赵敏", "zhao.min@example.com", "marketer", "市场部", None, True),
]


# Leads: person, company, source, region, employees (the rules below hand most of them out; the rest wait in the pool)
LEADS = [
    ("周杰", "广州天河电子科技", "展会", "华南", 80),
    ("孙丽", "杭州西湖软件", "官网", "华东", 45),
    ("吴磊", "苏州工业园精密制造", "展会", "华东", 1200),
    ("郑爽", "深圳南山贸易", "转介绍", "华南", 12),
    ("Maria Lopez", "Acme Trading Ltd", "Website", "海外", 300),
    ("黄涛", "成都高新医疗器械", "官网", "西南", 150),
]


async def _demo_leads(
    session: AsyncSession, scope: TenantScope, owner_id: uuid.UUID, people: dict[str, uuid.UUID]
) -> None:
    """Assignment rules (big companies to the sales manager, then each region's team in turn), a web form, and a
    few leads from several sources that the rules hand out."""
    options = scoped(scope)
    rules = [
        ("大客户", [], 1000, [people["李娜"]]),
        ("华东", ["华东"], None, [people["王强"]]),
        ("华南", ["华南"], None, [people["陈静"]]),
    ]
    for position, (name, regions, at_least, members) in enumerate(rules):
        await session.execute(
            insert(AssignmentRule).values(
                id=new_id(),
                position=position,
                name=name,
                regions=regions,
                min_employees=at_least,
                member_ids=members,
                created_by=owner_id,
            ),
            execution_options=options,
        )
    fields = [
        {"field": "name", "label": None, "required": True},
        {"field": "company", "label": None, "required": False},
        {"field": "phone", "label": None, "required": False},
        {"field": "email", "label": None, "required": True},
    ]
    await session.execute(
        insert(LeadForm).values(
            id=new_id(),
            key=secrets.token_urlsafe(18),
            name="官网咨询",
            fields=fields,
            source="官网",
            thank_you="感谢您的咨询，我们会在一个工作日内联系您。",
            created_by=owner_id,
        ),
        execution_options=options,
    )
    for name, company, source, region, employees in LEADS:
        values = {"name": name, "company": company, "source": source, "region": region, "employees": employees}
        await leads.insert_lead(session, scope, owner_id, values, "manual")


async def ensure_demo_workspace() -> tuple[str, str, bool]:
    async with platform_session() as session:
        if await repository.email_exists(session, DEMO_EMAIL):
            return DEMO_EMAIL, DEMO_PASSWORD, False
        owner, tenant, _ = await signup(
            session,
            SignupInput(
                company_name="上海华强电子有限公司",
                name="张伟",
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                locale="zh-Hans",
            ),
            client_ip="demo",
            user_agent="guanxi demo",
        )
        scope = TenantScope(tenant_id=tenant.id, schema=tenant.schema_name)
        options = scoped(scope)
        # The demo shows everything and never runs out: the catalogue's last plan on sale, without a trial end
        # (nothing is billed; a real workspace starts a trial of GUANXI_TRIAL_DAYS instead).
        largest = [p for p in catalogue().plans if p.public][-1]
        await session.execute(
            update(Subscription).where(Subscription.tenant_id == tenant.id).values(plan_key=largest.key,
                                                                                 trial_ends_at=None)
        )  # fmt: skip
        departments: dict[str, object] = {}
        for name, parent in DEPARTMENTS:
            departments[name] = new_id()
            await session.execute(
                insert(Department).values(
                    id=departments[name], name=name, parent_id=departments.get(parent or ""), created_by=owner.id
                ),
                execution_options=options,
            )
        password_hash = await hash_password(DEMO_PASSWORD)
        people: dict[str, uuid.UUID] = {}
        for name, email, role, department, manager, heads in PEOPLE:
            user = User(id=new_id(), email=email, name=name, locale="zh-Hans", password_hash=password_hash)
            session.add(user)
            await session.flush()  # the user first: no ORM relationship orders these two inserts
            session.add(Membership(id=new_id(), user_id=user.id, tenant_id=tenant.id, role=role))
            await session.flush()
            await add_member(session, scope, user.id, role=role)
            people[name] = user.id
            await session.execute(
                update(Member)
                .where(Member.id == user.id)
                .values(department_id=departments[department], manager_id=people.get(manager or "")),
                execution_options=options,
            )
            if heads:
                await session.execute(
                    update(Department).where(Department.id == departments[department]).values(head_id=user.id),
                    execution_options=options,
                )
        # Customers for the sales people (and the boss), written in the same transaction with COPY.
        sellers = [people[name] for name, _, role, *_ in PEOPLE if role in ("manager", "sales_rep")] + [owner.id]
        connection = await (await session.connection()).get_raw_connection()
        await generate(connection.driver_connection, tenant.schema_name, sellers, accounts=DEMO_ACCOUNTS)
        await generate_activities(connection.driver_connection, tenant.schema_name, per_account=5)
        await _demo_leads(session, scope, owner.id, people)
        await session.commit()
    return DEMO_EMAIL, DEMO_PASSWORD, True
