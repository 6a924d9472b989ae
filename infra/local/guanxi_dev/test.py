"""``make test`` (and ``make bench``): real PostgreSQL and Redis started as for ``make run``, then pytest.

The browser tests need Debian's Chromium; when it is missing and we are root, it is installed here so
that a fresh machine needs nothing done by hand.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from guanxi_dev.localservices import start_services

CHROMIUM = "/usr/bin/chromium"
DEBIAN_PACKAGES = ["chromium", "fonts-noto-cjk"]


def ensure_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            f"The browser tests need Chromium at {CHROMIUM}: install Debian's `chromium` package "
            "(sudo apt-get install chromium fonts-noto-cjk)."
        )
    print("· installing Chromium for the browser tests (apt-get)", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_PACKAGES], check=True, env=environment
    )


def main() -> None:
    args = sys.argv[1:]
    bench = "--bench" in args
    args = [a for a in args if a != "--bench"]
    if not bench:
        ensure_chromium()
    services = start_services(database="postgres", fast=True, log=lambda m: print(f"· {m}", flush=True))
    environment = {
        **os.environ,
        "GUANXI_TEST_DATABASE_URL": services.database_url,
        "GUANXI_TEST_REDIS_URL": services.redis_url,
        "GUANXI_ENV": "test",
    }
    if bench:
        command = [sys.executable, "-m", "bench", *args]
    else:
        workers = os.environ.get("GUANXI_TEST_WORKERS", "2")
        command = [sys.executable, "-m", "pytest", "-n", workers, "--dist", "loadgroup", *args]
    # A CI runner ends a job with SIGTERM: stop the servers we started rather than leave them behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        code = subprocess.run(command, env=environment, check=False).returncode
    finally:
        services.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
