"""Resident memory of each service process at rest, after start-up and one request each."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from guanxi_dev.stack import Ports, Stack

from tests.services import free_port


def rss_mib(pid: int) -> float:
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total / 2**20


def run() -> str:
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(
            env={**os.environ},
            mail_dir=Path(folder) / "mail",
            ports=Ports(web=free_port(), api=free_port(), smtp=free_port(), mail_web=free_port()),
        )
        stack.start()
        try:
            for url in (f"{stack.api_url}/ready", f"{stack.web_url}/login"):
                urllib.request.urlopen(url, timeout=10).read()  # noqa: S310 (loopback)
            time.sleep(5)
            figures = {name: rss_mib(process.pid) for name, process in stack.processes.items()}
        finally:
            stack.stop()
    rows = "\n".join(f"| {name} | {mib:.0f} MiB |" for name, mib in figures.items())
    line = (
        "## Memory of each service process at rest\n\n"
        "Method: every process started as `make run` starts it, one request to api and web, 5 s idle, "
        "then the resident set size (RSS) of the process and its children (the worker is `dramatiq` with one "
        "worker process of two threads; its figure includes the parent and the forked worker).\n\n"
        "| process | RSS |\n|---|---|\n" + rows
    )
    print(line)
    return line
