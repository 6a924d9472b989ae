"""Runs every benchmark against a dedicated database and writes docs/benchmarks.md.

Benchmarks are not tests: nothing here fails because a machine is slow. Each prints its figures and
the report records them with the method and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "benchmarks.md"
BENCH_DB = "guanxi_bench"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


async def fresh_database(server_url: str) -> str:
    admin = server_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{BENCH_DB}"')
        version = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    os.environ["PG_VERSION"] = str(version)
    return server_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--signups", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--churn-accounts", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--activities-per-account", type=int, default=10)
    parser.add_argument("--report-orders", type=int, default=2_000_000)
    parser.add_argument("--report-accounts", type=int, default=1_000_000)
    parser.add_argument(
        "--reuse-data", action="store_true", help="keep the benchmark database of the last run (customers)"
    )
    parser.add_argument(
        "--only",
        choices=(
            "signup",
            "tenants",
            "memory",
            "customers",
            "imports",
            "export",
            "pools",
            "deals",
            "orders",
            "targets",
            "reports",
            "grading",
            "churn",
            "billing",
            "reconcile",
            "operator",
        ),
        action="append",
        help="run only these",
    )
    args = parser.parse_args()

    server = os.environ["GUANXI_TEST_DATABASE_URL"]
    if args.reuse_data:
        os.environ["DATABASE_URL"] = server.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    else:
        os.environ["DATABASE_URL"] = asyncio.run(fresh_database(server))
    os.environ["REDIS_URL"] = os.environ["GUANXI_TEST_REDIS_URL"].rsplit("/", 1)[0] + "/40"
    os.environ["GUANXI_ENV"] = "test"
    os.environ["GUANXI_LOG_LEVEL"] = "WARNING"
    os.environ["GUANXI_SIGNUPS_PER_IP_PER_HOUR"] = "1000000"

    from bench import (
        billing,
        churn,
        customers,
        deals,
        export,
        grading,
        imports,
        memory,
        operator,
        orders,
        pools,
        reports,
        signup,
        targets,
        tenants_migrate,
    )

    subprocess.run([os.sys.executable, "-m", "guanxi", "db", "migrate"], check=True, capture_output=True)
    if args.reuse_data:  # the kept workspaces catch up with the code's tenant migrations
        subprocess.run([os.sys.executable, "-m", "guanxi", "tenants", "migrate"], check=True, capture_output=True)
    runs = {
        "signup": lambda: signup.run(args.signups),
        "tenants": lambda: tenants_migrate.run(args.tenants),
        "memory": memory.run,
        "customers": lambda: customers.run(
            args.accounts, reuse_data=args.reuse_data, activities_per_account=args.activities_per_account
        ),
        "imports": lambda: imports.run(args.import_rows),
        "export": export.run,  # on the workspace the customers benchmark generated
        "pools": pools.run,  # likewise
        "deals": deals.run,  # likewise, with 200,000 deals added once
        "orders": orders.run,  # likewise, with 2,000,000 orders, their lines, plans and payments added once
        "targets": targets.run,  # on those deals, orders and payments
        "reports": lambda: reports.run(args.report_orders, args.report_accounts),  # a workspace of its own
        # a workspace of its own (--accounts, twice as many orders), or with --reuse-data the customers benchmark's
        "grading": lambda: grading.run(args.accounts, reuse_data=args.reuse_data),
        "churn": lambda: churn.run(args.churn_accounts, reuse_data=args.reuse_data),  # likewise
        "billing": lambda: billing.run(1000),  # 125 workspaces of its own, 1,000 webhook deliveries
        "reconcile": lambda: billing.run_reconcile(10_000),  # a database of its own, dropped afterwards
        "operator": lambda: operator.run(10_000),  # 10,000 workspaces' subscriptions, removed afterwards
    }
    sections = [run() for name, run in runs.items() if not args.only or name in args.only]
    if args.only:  # a partial run prints its figures and leaves the report alone
        print("\n\n".join(sections))
        return
    text = (
        "# Benchmarks\n\n"
        "Produced by `make bench` (bench/); rerun it to refresh this page. Benchmarks are measurements, "
        "not tests: a slow machine changes the figures, not the build.\n\n"
        f"- Machine: {machine()}\n"
        f"- PostgreSQL {os.environ.get('PG_VERSION')} and Valkey started by the project (`fsync=off` as in "
        "tests), on the same machine as the services and the load generator.\n\n" + "\n\n".join(sections) + "\n"
    )
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
