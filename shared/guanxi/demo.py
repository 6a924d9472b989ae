"""The demo workspace that ``make run`` creates: a known login over a realistic small company."""

from __future__ import annotations

from guanxi.db.tenancy import platform_session
from guanxi.domain.identity import repository
from guanxi.domain.identity.service import SignupInput, signup

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "Guanxi-Demo-2026!"  # noqa: S105 (a published demo login, local only)


async def ensure_demo_workspace() -> tuple[str, str, bool]:
    async with platform_session() as session:
        if await repository.email_exists(session, DEMO_EMAIL):
            return DEMO_EMAIL, DEMO_PASSWORD, False
        await signup(
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
        await session.commit()
    return DEMO_EMAIL, DEMO_PASSWORD, True
