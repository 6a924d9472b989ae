"""Export of every account of the big generated workspace (see customers.py): the API process's resident
memory sampled while the CSV (and the XLSX) streams, against its memory before; then the same XLSX as a
background export (POST /api/v1/exports answered at once, the worker's job run in this process with its
memory sampled the same way)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psutil
from guanxi.db.engine import dispose_engine
from guanxi.db.tenancy import platform_session
from guanxi.domain.exports import repository
from guanxi.domain.exports.tasks import run_export
from guanxi.domain.tenancy.service import scope_for_job
from guanxi.jobs import JobContext
from guanxi_dev.localservices import wait_for_port
from guanxi_dev.stack import wait_for_http
from sqlalchemy import text

from bench.customers import reuse
from tests.services import free_port


def stream(port: int, token: str, path: str, pid: int) -> dict[str, float]:
    def read() -> tuple[float, float, int]:
        started = time.perf_counter()
        received = 0
        first_byte = None
        with httpx.stream(
            "GET", f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=1200
        ) as response:
            assert response.status_code == 200, response.read()
            for chunk in response.iter_bytes():
                first_byte = first_byte or time.perf_counter() - started
                received += len(chunk)
        return time.perf_counter() - started, first_byte or 0.0, received

    (seconds, first_byte, received), before, peak = sampled(pid, read)
    return {"seconds": seconds, "first_byte": first_byte, "mib": received / 2**20, "before": before, "peak": peak}


def sampled(pid: int, work: Callable[[], Any]) -> tuple[Any, float, float]:
    """``work()``'s result with the resident memory (MiB) of process ``pid`` before and at its peak."""
    process = psutil.Process(pid)
    before = peak = process.memory_info().rss / 2**20
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss / 2**20)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = work()
    finally:
        done.set()
        sampler.join()
    return result, before, peak


async def run_job(schema: str, export_id: str) -> dict[str, Any]:
    """The worker's job for one export, as the worker runs it, then the export as the API reports it."""
    try:
        async with platform_session() as session:
            tenant_id = await session.scalar(
                text("SELECT id FROM platform.tenants WHERE schema_name = :s"), {"s": schema}
            )
            scope = await scope_for_job(session, tenant_id)
        status = await run_export(JobContext(uuid.uuid4(), scope), uuid.UUID(export_id))
        async with platform_session() as session:
            row = await repository.fetch(session, scope, uuid.UUID(export_id))
            assert row is not None
            return {"status": status, "rows": row.row_count, "size": row.size_bytes or 0}
    finally:
        await dispose_engine()


def background(port: int, token: str, schema: str) -> dict[str, float]:
    started = time.perf_counter()
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/exports",
        json={"entity": "accounts", "format": "xlsx"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    answered = time.perf_counter() - started
    job, before, peak = sampled(os.getpid(), lambda: asyncio.run(run_job(schema, response.json()["id"])))
    assert job["status"] == "done", job
    return {
        "answered": answered,
        "seconds": time.perf_counter() - started,
        "mib": job["size"] / 2**20,
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
        job = background(port, data["token"], data["schema"])
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
    lines += [
        "",
        "Background XLSX (`POST /api/v1/exports`, then the worker's `exports.run` job in the benchmark's process, "
        "memory of that process):",
        "",
        "| format | answered | file ready | size | worker memory before | worker memory peak |",
        "|---|---|---|---|---|---|",
        f"| XLSX | {job['answered']:.2f} s | {job['seconds']:.0f} s | {job['mib']:.0f} MiB | "
        f"{job['before']:.0f} MiB | {job['peak']:.0f} MiB |",
    ]
    return "\n".join(lines)
