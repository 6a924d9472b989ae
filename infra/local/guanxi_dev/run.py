"""``make run``: private PostgreSQL and Redis, migrations, the demo workspace, then every process.

Ctrl-C stops everything it started; running it again reuses the data in ``.data/``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from guanxi_dev.localservices import data_dir, port_is_free, start_services
from guanxi_dev.stack import PYTHON, Ports, Stack


def preferred_port(port: int, taken: set[int]) -> int:
    """The documented port when free; otherwise the next free one (a second checkout running too)."""
    while port in taken or not port_is_free(port):
        port += 1
    return port


def main() -> None:
    services = start_services(log=lambda message: print(f"· {message}", flush=True))
    ports = services.ports
    web = preferred_port(int(os.environ.get("WEB_PORT", 8000)), set())
    api = preferred_port(int(os.environ.get("API_PORT", 8001)), {web})
    # Billing runs against the local Stripe stand-in unless real keys are given.
    stripe = None if os.environ.get("GUANXI_STRIPE_SECRET_KEY") else preferred_port(12111, {web, api})
    stack = Stack(
        env={**os.environ, "DATABASE_URL": services.database_url, "REDIS_URL": services.redis_url},
        ports=Ports(web=web, api=api, smtp=ports["smtp"], mail_web=ports["mail_web"], stripe=stripe),
        mail_dir=data_dir() / "mail",
    )
    environment = stack.environment()
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    try:
        subprocess.run([PYTHON, "-m", "guanxi", "db", "migrate"], env=environment, check=True)
        subprocess.run([PYTHON, "-m", "guanxi", "demo"], env=environment, check=True)
        stack.start()
        print(
            "\n"
            f"  Guanxi CRM is running\n"
            f"    web        {stack.web_url}\n"
            f"    api        {stack.api_url}   (OpenAPI: {stack.api_url}/api/schema)\n"
            f"    mail       {stack.mail_url}   (files: {stack.mail_dir})\n"
            + (
                f"    stripe     http://127.0.0.1:{stripe}   (local stand-in: Checkout pays at once)\n"
                if stripe
                else ""
            )
            + "    demo login demo@example.com / Guanxi-Demo-2026! (owner 张伟; colleagues such as\n"
            "               wang.qiang@example.com, a sales rep, use the same password)\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stopping:
            if dead := stack.dead():
                print(f"· stopped because {', '.join(dead)} exited", file=sys.stderr)
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        print(f"· {' '.join(error.cmd[1:])} failed (exit {error.returncode})", file=sys.stderr)
    finally:
        print("· stopping", flush=True)
        stack.stop()
        services.stop()


if __name__ == "__main__":
    main()
