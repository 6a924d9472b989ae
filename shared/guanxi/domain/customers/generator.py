"""Realistic generated customers, Chinese and English, for the demo workspace and for benchmarks.

Rows are written with COPY in CSV batches (the search keys computed here, as the service would), so a
million accounts with their contacts load in minutes, not hours. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from guanxi import textsearch
from guanxi.db.base import new_id

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志文辉鹏飞宇浩然晨欣怡婷雪梅红海波"
TRADE_NAMES = [
    "华强", "恒信", "宏达", "鑫源", "金桥", "瑞丰", "天宇", "德诚", "新锐", "博远", "中联", "汇通", "东方",
    "海纳", "永泰", "诚信", "卓越", "嘉禾", "明辉", "盛世", "万达", "安康", "长虹", "星辰", "锦程", "广和",
]  # fmt: skip
INDUSTRIES_ZH = [("电子", "电子元器件"), ("科技", "软件与信息服务"), ("贸易", "批发零售"), ("机械", "机械设备"),
                 ("物流", "交通物流"), ("食品", "食品饮料"), ("建材", "建筑材料"), ("医疗器械", "医疗健康"),
                 ("服饰", "纺织服装"), ("化工", "化工")]  # fmt: skip
REGIONS = [
    ("中国", "广东", "深圳"), ("中国", "广东", "广州"), ("中国", "上海", "上海"), ("中国", "北京", "北京"),
    ("中国", "浙江", "杭州"), ("中国", "江苏", "苏州"), ("中国", "四川", "成都"), ("中国", "湖北", "武汉"),
    ("中国台湾", "台北", "台北"), ("中国香港", "香港", "香港"), ("United Kingdom", "England", "London"),
    ("United States", "California", "San Francisco"), ("Singapore", "Singapore", "Singapore"),
]  # fmt: skip
FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Susan",
    "Richard",
    "Jessica",
    "Thomas",
    "Sarah",
    "Daniel",
    "Karen",
    "Jane",
    "Emma",
    "Oliver",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Green",
]
COMPANY_EN = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell"]
INDUSTRIES_EN = [
    ("Trading", "Wholesale"),
    ("Logistics", "Logistics"),
    ("Software", "Software"),
    ("Foods", "Food & beverage"),
    ("Components", "Electronics"),
    ("Medical", "Healthcare"),
]
SUFFIX_EN = ["Ltd", "Inc", "LLC", "Co", "Group", "Holdings"]
TAGS = [
    "重点客户",
    "VIP",
    "老客户",
    "新客户",
    "展会",
    "渠道",
    "大客户",
    "待回访",
    "华东",
    "华南",
    "export",
    "key account",
]
SOURCES = ["展会", "官网", "转介绍", "电话营销", "广告", "渠道伙伴", "website", "referral", "trade show"]
HEAT = ["hot", "warm", "cold", None]
STAGES = ["prospect", "prospect", "customer", "customer", "customer", "former_customer"]
SIZES = ["1-10", "11-50", "51-200", "201-1000", "1000+", None]
TITLES_ZH = ["总经理", "采购经理", "技术总监", "财务主管", "销售总监", "行政助理", "项目经理"]
TITLES_EN = ["CEO", "Purchasing Manager", "CTO", "Finance Lead", "Sales Director", "Office Manager"]


ACCOUNT_COLUMNS = (
    "id", "kind", "name", "tags", "heat", "source", "industry", "country", "province", "city", "phone", "email",
    "website", "owner_id", "value_rating", "credit_limit", "payment_terms_days", "lifecycle_stage", "size",
    "search_vector", "search_phones", "search_emails", "created_at", "updated_at", "created_by",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "account_id", "family_name", "given_name", "name", "title", "phones", "emails", "wechat",
    "preferred_channel", "marketing_consent", "is_primary", "owner_id", "search_vector", "search_phones",
    "search_emails", "created_at", "updated_at", "created_by",
)  # fmt: skip


SEARCH_KEYS = ["search_vector", "search_phones", "search_emails"]  # an empty key is '', not NULL


def pg_array(values: Sequence[str]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


@dataclass
class Generator:
    owners: Sequence[uuid.UUID]
    seed: int = 2026
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def mobile(self) -> str:
        r = self.random
        return f"1{r.choice('3456789')}{r.randint(0, 9)} {r.randint(0, 9999):04d} {r.randint(0, 9999):04d}"

    def person(self, chinese: bool) -> tuple[str, str]:
        r = self.random
        if chinese:
            return r.choice(SURNAMES), "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))
        return r.choice(LAST), r.choice(FIRST)

    def when(self) -> dt.datetime:
        return self.now - dt.timedelta(seconds=self.random.randint(0, 730 * 86400))

    def account(self) -> dict[str, Any]:
        r = self.random
        chinese = r.random() < 0.7
        country, province, city = r.choice(REGIONS[:10] if chinese else REGIONS[10:])
        if chinese:
            short, industry = r.choice(INDUSTRIES_ZH)
            trade = r.choice(TRADE_NAMES) + (r.choice(TRADE_NAMES)[0] if r.random() < 0.5 else "")
            name = f"{city}{trade}{short}有限公司" if r.random() < 0.85 else "".join(self.person(True))
            domain = f"{r.choice(COMPANY_EN).lower()}{r.randint(1, 99999)}.cn"
            phone = self.mobile() if r.random() < 0.5 else f"0{r.randint(10, 999)}-{r.randint(1000000, 99999999)}"
        else:
            short, industry = r.choice(INDUSTRIES_EN)
            name = f"{r.choice(COMPANY_EN)} {r.choice(LAST)} {short} {r.choice(SUFFIX_EN)}"
            domain = f"{name.split()[0].lower()}{r.randint(1, 99999)}.example.com"
            phone = f"+44 20 {r.randint(1000, 9999)} {r.randint(1000, 9999)}"
        individual = chinese and len(name) <= 3
        email = f"info@{domain}" if r.random() < 0.8 else None
        created = self.when()
        return {
            "id": new_id(),
            "kind": "individual" if individual else "company",
            "name": name,
            "tags": r.sample(TAGS, r.choice((0, 1, 1, 2, 3))),
            "heat": r.choice(HEAT),
            "source": r.choice(SOURCES),
            "industry": industry,
            "country": country,
            "province": province,
            "city": city,
            "phone": phone,
            "email": email,
            "website": f"https://www.{domain}",
            "owner_id": r.choice(self.owners),
            "value_rating": r.choice(("high", "medium", "low", None)),
            "credit_limit": r.choice((None, 50000, 100000, 500000, 1000000)),
            "payment_terms_days": r.choice((None, 0, 30, 60, 90)),
            "lifecycle_stage": r.choice(STAGES),
            "size": None if individual else r.choice(SIZES),
            "created_at": created,
            "updated_at": created
            + dt.timedelta(seconds=r.randint(0, max(1, int((self.now - created).total_seconds())))),
            "domain": domain,
            "chinese": chinese,
        }

    def contact(self, account: dict[str, Any], primary: bool) -> dict[str, Any]:
        r = self.random
        chinese = account["chinese"] if r.random() < 0.9 else not account["chinese"]
        family, given = self.person(chinese)
        name = f"{family}{given}" if chinese else f"{given} {family}"
        handle = "".join(textsearch.name_lexemes(name)[:1]) if chinese else f"{given}.{family}".lower()
        phones = [self.mobile()] + ([self.mobile()] if r.random() < 0.2 else [])
        return {
            "id": new_id(),
            "account_id": account["id"],
            "family_name": family,
            "given_name": given,
            "name": name,
            "title": r.choice(TITLES_ZH if chinese else TITLES_EN),
            "phones": phones,
            "emails": [f"{handle}{r.randint(1, 999)}@{account['domain']}"],
            "wechat": f"wx_{r.randint(100000, 999999)}" if chinese and r.random() < 0.6 else None,
            "preferred_channel": r.choice(("phone", "email", "wechat" if chinese else "email")),
            "marketing_consent": r.random() < 0.4,
            "is_primary": primary,
            "owner_id": account["owner_id"],
            "created_at": account["created_at"],
            "updated_at": account["updated_at"],
        }


def with_search_keys(row: dict[str, Any], creator: uuid.UUID) -> dict[str, Any]:
    """An account or contact row with the search keys the service would compute, and its creator."""
    if "phones" in row:
        names, phones, emails = [row["name"], row["family_name"], row["given_name"]], row["phones"], row["emails"]
    else:
        names, phones, emails = [row["name"]], [row["phone"]], [row["email"]]
    return {
        **row,
        "search_vector": textsearch.tsvector_text(textsearch.name_lexemes(*names)),
        "search_phones": textsearch.phone_digits(phones),
        "search_emails": textsearch.email_text(emails),
        "created_by": creator,
    }


def _csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        values = []
        for column in columns:
            value = row[column]
            if isinstance(value, list):
                value = pg_array(value)
            elif value is None:
                value = ""
            elif isinstance(value, dt.datetime):
                value = value.isoformat()
            values.append(value)
        writer.writerow(values)
    return buffer.getvalue().encode()


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def generate(
    connection: asyncpg.Connection,
    schema: str,
    owners: Sequence[uuid.UUID],
    *,
    accounts: int,
    contacts_per_account: float = 3.0,
    batch: int = 5_000,
    seed: int = 2026,
    progress: Any = None,
) -> tuple[int, int]:
    """Write ``accounts`` accounts and about ``contacts_per_account`` contacts each into ``schema``."""
    generator = Generator(owners=owners, seed=seed)
    creator = owners[0]
    made_accounts = made_contacts = 0
    while made_accounts < accounts:
        rows = [generator.account() for _ in range(min(batch, accounts - made_accounts))]
        contacts = []
        for row in rows:
            count = max(0, round(generator.random.gauss(contacts_per_account, 1.2)))
            contacts += [generator.contact(row, primary=index == 0) for index in range(count)]
        account_csv = _csv([with_search_keys(row, creator) for row in rows], ACCOUNT_COLUMNS)
        contact_csv = _csv([with_search_keys(row, creator) for row in contacts], CONTACT_COLUMNS)
        async with connection.transaction():
            for table, data, columns in (
                ("accounts", account_csv, ACCOUNT_COLUMNS),
                ("contacts", contact_csv, CONTACT_COLUMNS),
            ):
                await connection.copy_to_table(
                    table, source=_chunks(data), columns=columns, schema_name=schema, format="csv",
                    force_not_null=SEARCH_KEYS,
                )  # fmt: skip
        made_accounts += len(rows)
        made_contacts += len(contacts)
        if progress:
            progress(made_accounts, made_contacts)
    return made_accounts, made_contacts


ACTIVITY_COLUMNS = (
    "id", "kind", "account_id", "subject", "body", "occurred_at", "due_at", "done_at", "duration_seconds",
    "direction", "outcome", "owner_id", "created_at", "updated_at", "created_by",
)  # fmt: skip
SUBJECTS = {
    "call": ["电话沟通报价", "回访客户", "确认交货期", "Follow-up call", "Price check"],
    "meeting": ["方案讲解会", "季度业务回顾", "Kick-off meeting"],
    "visit": ["上门拜访", "工厂参观", "Site visit"],
    "email": ["发送报价单", "寄送样品确认", "Quote sent"],
    "note": ["客户关注交期", "决策人是采购总监", "Prefers WeChat"],
    "task": ["准备合同", "安排样品寄送", "Send the proposal"],
}
OUTCOMES = ["connected", "no_answer", "busy", "voicemail"]


async def generate_activities(
    connection: asyncpg.Connection,
    schema: str,
    *,
    per_account: int = 10,
    batch_accounts: int = 2_000,
    seed: int = 2027,
    progress: Any = None,
) -> int:
    """About ``per_account`` activities for every account of ``schema``, spread over its life so far."""
    rng = random.Random(seed)
    kinds = list(SUBJECTS)
    last = uuid.UUID(int=0)
    made = 0
    now = dt.datetime.now(dt.UTC)
    while True:
        accounts = await connection.fetch(
            f'SELECT id, owner_id, created_at FROM "{schema}".accounts WHERE id > $1 ORDER BY id LIMIT $2',
            last,
            batch_accounts,
        )
        if not accounts:
            return made
        rows: list[dict[str, Any]] = []
        for account in accounts:
            span = max(1, int((now - account["created_at"]).total_seconds()))
            for _ in range(max(0, round(rng.gauss(per_account, 3)))):
                kind = rng.choice(kinds)
                at = account["created_at"] + dt.timedelta(seconds=rng.randint(0, span))
                rows.append(
                    {"id": new_id(), "kind": kind, "account_id": account["id"], "subject": rng.choice(SUBJECTS[kind]),
                     "body": None, "occurred_at": at, "due_at": at if kind in ("task", "meeting") else None,
                     "done_at": at if kind == "task" and at < now else None,
                     "duration_seconds": rng.randint(20, 1800) if kind == "call" else None,
                     "direction": rng.choice(("inbound", "outbound")) if kind in ("call", "email") else None,
                     "outcome": rng.choice(OUTCOMES) if kind == "call" else None, "owner_id": account["owner_id"],
                     "created_at": at, "updated_at": at, "created_by": account["owner_id"]}
                )  # fmt: skip
        async with connection.transaction():
            await connection.copy_to_table(
                "activities", source=_chunks(_csv(rows, ACTIVITY_COLUMNS)),
                columns=ACTIVITY_COLUMNS, schema_name=schema, format="csv",
            )  # fmt: skip
        made += len(rows)
        last = accounts[-1]["id"]
        if progress:
            progress(made)
