"""Export of every account of the big generated workspace (see customers.py): the API process's resident
memory sampled while the CSV (and the XLSX) streams, against its memory before."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

import httpx
import psutil
from guanxi_dev.localservices import wait_for_port
from guanxi_dev.stack import wait_for_http

from bench.customers import reuse
from tests.services import free_port


def stream(port: int, token: str, path: str, pid: int) -> dict[str, float]:
    process = psutil.Process(pid)
    before = process.memory_info().rss / 2**20
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss / 2**20)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    received = 0
    first_byte = None
    try:
        with httpx.stream(
            "GET", f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=1200
        ) as response:
            assert response.status_code == 200, response.read()
            for chunk in response.iter_bytes():
                first_byte = first_byte or time.perf_counter() - started
                received += len(chunk)
    finally:
        done.set()
        sampler.join()
    return {
        "seconds": time.perf_counter() - started,
        "first_byte": first_byte or 0.0,
        "mib": received / 2**20,
        "before": before,
        "peak": peak,
    }


def run() -> str:
    data = asyncio.run(reuse())
    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "--port", str(port), "--no-access-log",
         "guanxi_api.app:create_app"],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        wait_for_http(f"http://127.0.0.1:{port}/health")
        csv = stream(port, data["token"], "/api/v1/accounts/export.csv", api.pid)
        xlsx = stream(port, data["token"], "/api/v1/accounts/export.xlsx", api.pid)
    finally:
        api.terminate()
        api.wait(timeout=10)
    lines = [
        f"## Export of {data['accounts']:,} accounts (target: streams in constant memory)",
        "",
        "Method: `GET /api/v1/accounts/export.csv` and `.xlsx` as the workspace owner against one uvicorn API "
        "process, read to the end over loopback; the process's resident memory sampled every 50 ms.",
        "",
        "| format | time | first byte | size | API memory before | API memory peak |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in (("CSV", csv), ("XLSX", xlsx)):
        lines.append(
            f"| {name} | {figures['seconds']:.0f} s | {figures['first_byte']:.2f} s | {figures['mib']:.0f} MiB | "
            f"{figures['before']:.0f} MiB | {figures['peak']:.0f} MiB |"
        )
    return "\n".join(lines)
