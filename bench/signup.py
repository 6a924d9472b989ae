"""Sign-up to ready workspace: real API process (uvicorn), sequential requests over loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import httpx
from guanxi_dev.localservices import wait_for_port
from guanxi_dev.stack import wait_for_http

from bench.stats import percentile, summary_ms
from tests.services import free_port

TARGET_P50_MS = 300


def run(count: int) -> str:
    port = free_port()
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "guanxi_api.app:create_app",
        ],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        wait_for_http(f"http://127.0.0.1:{port}/health")
        timings: list[float] = []
        ready: list[float] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for i in range(count + 5):
                payload = {
                    "company_name": f"基准测试公司 {i}",
                    "name": "张伟",
                    "locale": "zh-Hans",
                    "email": f"bench.{uuid.uuid4().hex[:12]}@example.com",
                    "password": "correct horse battery staple",
                }
                started = time.perf_counter()
                response = client.post("/api/v1/signup", json=payload)
                signed_up = time.perf_counter()
                assert response.status_code == 201, response.text
                # Ready = the new workspace answers with its own data.
                token = response.json()["token"]
                pipeline = client.get("/api/v1/pipeline", headers={"Authorization": f"Bearer {token}"})
                assert pipeline.status_code == 200
                finished = time.perf_counter()
                if i >= 5:  # warm-up
                    timings.append((signed_up - started) * 1000)
                    ready.append((finished - started) * 1000)
    finally:
        api.terminate()
        api.wait(10)
    verdict = "meets" if percentile(ready, 0.5) < TARGET_P50_MS else "MISSES"
    line = (
        f"## Sign-up to ready workspace (target p50 < {TARGET_P50_MS} ms: {verdict})\n\n"
        f"Method: {count} sequential `POST /api/v1/signup` against one uvicorn API process, each followed "
        "by `GET /api/v1/pipeline` with the new token (the workspace's own schema answering). The "
        "sign-up creates the tenant row, its schema from the prepared template (one round trip), the "
        "defaults, the owner (argon2id hash), the membership, the session and the welcome job, in one "
        "transaction.\n\n"
        f"- `POST /api/v1/signup` alone: {summary_ms(timings)}\n"
        f"- sign-up + first read of the new workspace: {summary_ms(ready)}"
    )
    print(line)
    return line
