"""Starts the application processes (api, web, worker, scheduler, mail catcher) and stops them all.

``make run`` uses it in the foreground; the browser tests use it against their own database.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from guanxi_dev.localservices import stop_process, wait_for_port

PYTHON = sys.executable
BIN = Path(sys.executable).parent
STRIPE_SECRET = "whsec_test_guanxi_0123456789abcdef"  # noqa: S105 -- the local stand-in's, not a real secret


@dataclass
class Ports:
    web: int
    api: int
    smtp: int
    mail_web: int
    stripe: int | None = None  # the local Stripe-compatible server (guanxi_dev.stripelocal), when wanted


@dataclass
class Stack:
    env: dict[str, str]
    ports: Ports
    mail_dir: Path
    log_dir: Path | None = None
    worker_threads: int = 2
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def mail_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.mail_web}"

    def environment(self) -> dict[str, str]:
        local_stripe = {}
        if self.ports.stripe is not None:  # billing against the local stand-in, never Stripe itself
            local_stripe = {
                "GUANXI_STRIPE_API_BASE": f"http://127.0.0.1:{self.ports.stripe}",
                "GUANXI_STRIPE_SECRET_KEY": "sk_test_local",
                "GUANXI_STRIPE_WEBHOOK_SECRET": self.env.get("GUANXI_STRIPE_WEBHOOK_SECRET") or STRIPE_SECRET,
            }
        return {
            **self.env,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.ports.smtp),
            "GUANXI_API_URL": self.api_url,
            "GUANXI_PUBLIC_URL": self.web_url,
            "PYTHONUNBUFFERED": "1",
            **local_stripe,
        }

    def commands(self) -> dict[str, list[str]]:
        uvicorn = [
            PYTHON,
            "-m",
            "uvicorn",
            "--factory",
            "--host",
            "127.0.0.1",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        return {
            "mail": [
                PYTHON,
                "-m",
                "guanxi_dev.mailcatcher",
                "--smtp-port",
                str(self.ports.smtp),
                "--http-port",
                str(self.ports.mail_web),
                "--dir",
                str(self.mail_dir),
            ],
            "api": [*uvicorn, "--port", str(self.ports.api), "guanxi_api.app:create_app"],
            "web": [*uvicorn, "--port", str(self.ports.web), "guanxi_web.app:create_app"],
            "worker": [
                str(BIN / "dramatiq"),
                "guanxi_worker.main",
                "--processes",
                "1",
                "--threads",
                str(self.worker_threads),
            ],
            "scheduler": [PYTHON, "-m", "guanxi_worker.scheduler"],
            **(
                {"stripe": [PYTHON, "-m", "guanxi_dev.stripelocal", "--port", str(self.ports.stripe), "--webhook-url",
                            f"{self.api_url}/api/v1/billing/webhooks/stripe", "--secret",
                            self.environment()["GUANXI_STRIPE_WEBHOOK_SECRET"]]}
                if self.ports.stripe is not None else {}
            ),
        }  # fmt: skip

    def start(self) -> None:
        environment = self.environment()
        for name, command in self.commands().items():
            output: int | IO[bytes] | None = None
            if self.log_dir is not None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                handle = (self.log_dir / f"{name}.log").open("ab")
                self._logs.append(handle)
                output = handle
            self.processes[name] = subprocess.Popen(
                command,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                start_new_session=True,
            )
        for port in (self.ports.smtp, self.ports.mail_web, self.ports.api, self.ports.web, self.ports.stripe):
            if port is not None:
                wait_for_port(port, timeout=60)
        for url in (f"{self.api_url}/health", f"{self.web_url}/health"):
            wait_for_http(url)
        if dead := self.dead():  # a port taken by someone else answers the checks above: make sure it is us
            self.stop()
            raise RuntimeError(f"{', '.join(dead)} exited during start-up")

    def dead(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self) -> None:
        for process in self.processes.values():  # all at once: they shut down in parallel
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            stop_process(process, timeout=15, signalled=True)
        for handle in self._logs:
            handle.close()


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f}s")
        time.sleep(0.1)
