from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def no_leftover_cookies(client: Any) -> None:
    """The client is shared by the session: no test may ride on a cookie that another one received."""
    client.cookies.clear()
