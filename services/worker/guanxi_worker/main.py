"""Worker entry point: ``dramatiq guanxi_worker.main``. Imports every domain's actors."""

from guanxi.logging import configure_logging

configure_logging("worker")

import importlib  # noqa: E402

from guanxi.broker import get_broker  # noqa: E402
from guanxi.config import get_settings  # noqa: E402
from guanxi.domain.activities import tasks as activities_tasks  # noqa: E402,F401
from guanxi.domain.audit import tasks as audit_tasks  # noqa: E402,F401
from guanxi.domain.billing import tasks as billing_tasks  # noqa: E402,F401
from guanxi.domain.churn import tasks as churn_tasks  # noqa: E402,F401
from guanxi.domain.contracts import tasks as contracts_tasks  # noqa: E402,F401
from guanxi.domain.customers import tasks as customers_tasks  # noqa: E402,F401
from guanxi.domain.email import tasks as email_tasks  # noqa: E402,F401
from guanxi.domain.exports import tasks as exports_tasks  # noqa: E402,F401
from guanxi.domain.grading import tasks as grading_tasks  # noqa: E402,F401
from guanxi.domain.imports import tasks as imports_tasks  # noqa: E402,F401
from guanxi.domain.notifications import tasks as notifications_tasks  # noqa: E402,F401
from guanxi.domain.orders import tasks as orders_tasks  # noqa: E402,F401
from guanxi.domain.pools import tasks as pools_tasks  # noqa: E402,F401
from guanxi.domain.quotes import tasks as quotes_tasks  # noqa: E402,F401
from guanxi.domain.reports import tasks as reports_tasks  # noqa: E402,F401
from guanxi.domain.workreports import tasks as workreports_tasks  # noqa: E402,F401

from guanxi_worker.heartbeat import Heartbeat  # noqa: E402

# Probe actors for reliability tests (never set in production): GUANXI_WORKER_EXTRA_MODULES=a.b,c.d
for module in filter(None, (name.strip() for name in get_settings().worker_extra_modules.split(","))):
    importlib.import_module(module)

broker = get_broker()
broker.add_middleware(Heartbeat())
