"""The installation's operators: people with an account like anyone's, marked by the operator's command line
(``python -m guanxi operators grant EMAIL``). Being an operator is read from the user's row, never from a request."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guanxi.domain.identity.models import User
from guanxi.domain.identity.service import AuthContext


class UnknownUser(LookupError):
    """No account has that email."""


def is_operator(auth: AuthContext) -> bool:
    """A person signed in (an API token belongs to one workspace, so it never acts as the operator)."""
    return auth.token_id is None and auth.user.is_operator


async def set_operator(session: AsyncSession, email: str, operator: bool) -> User:
    """Grant or revoke; the user, whose flag changed or already was so. No commit."""
    user = await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise UnknownUser(email)
    user.is_operator = operator
    return user


async def operators(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).where(User.is_operator).order_by(func.lower(User.email))))
