"""Logs carry request, tenant and user ids; one event per request; never a password."""

from __future__ import annotations

import json
from typing import Any

import pytest
import structlog

from tests.conftest import bearer, signed_up


@pytest.fixture
def captured() -> Any:
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        yield logs


async def test_request_event_has_request_tenant_and_user_ids(client: Any, captured: Any) -> None:
    account = await signed_up(client)
    captured.clear()
    await client.get("/api/v1/pipeline", headers={**bearer(account), "X-Request-ID": "req-test-000001"})

    events = [e for e in captured if e["event"] == "http.request"]
    assert len(events) == 1
    event = events[0]
    assert event["request_id"] == "req-test-000001"
    assert event["tenant_id"] == account["workspace"]["id"]
    assert event["user_id"] == account["user"]["id"]
    assert event["status"] == 200 and event["duration_ms"] >= 0


async def test_signup_logs_facts_but_not_the_password(client: Any, captured: Any) -> None:
    account = await signed_up(client)
    text = json.dumps(captured, default=str)
    assert "signup.completed" in text
    assert account["password"] not in text
    assert account["token"] not in text


def test_production_logs_are_json_lines(tmp_path: Any) -> None:
    import subprocess
    import sys

    code = (
        "from guanxi.logging import configure_logging, get_logger\n"
        "configure_logging('api')\n"
        "get_logger('t').info('probe.event', tenant_id='t1')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"GUANXI_ENV": "production", "GUANXI_SECRET_KEY": "s" * 40, "PATH": "/usr/bin"},
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["event"] == "probe.event" and line["tenant_id"] == "t1" and line["service"] == "api"


def test_production_refuses_to_start_without_a_secret() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "from guanxi.config import get_settings; get_settings()"],
        capture_output=True,
        text=True,
        env={"GUANXI_ENV": "production", "PATH": "/usr/bin"},
        check=False,
    )
    assert result.returncode != 0
    assert "GUANXI_SECRET_KEY" in result.stderr
