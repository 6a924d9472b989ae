"""The browser UI: ``uvicorn guanxi_web.app:create_app --factory``.

Server-rendered pages (Jinja2 + HTMX) over the JSON API; this service never touches the database.
"""

from __future__ import annotations

import logging

import httpx
from guanxi.asgi import request_logging
from guanxi.config import Settings, get_settings
from guanxi.logging import configure_logging
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from guanxi_web import i18n
from guanxi_web.api_client import ApiClient
from guanxi_web.controllers.activities import ActivityController, CalendarController
from guanxi_web.controllers.announcements import AnnouncementController
from guanxi_web.controllers.auth import AuthController
from guanxi_web.controllers.billing import BillingController, PricingController
from guanxi_web.controllers.churn import AccountWinBackController, ChurnController
from guanxi_web.controllers.customers import AccountController, ContactController
from guanxi_web.controllers.deals import DealController
from guanxi_web.controllers.document_settings import DocumentSettingsController
from guanxi_web.controllers.exports import ExportController
from guanxi_web.controllers.grading import AccountGradeController, GradingController
from guanxi_web.controllers.health import HealthController
from guanxi_web.controllers.imports import ImportController
from guanxi_web.controllers.invitations import InvitationController
from guanxi_web.controllers.lead_settings import LeadSettingsController
from guanxi_web.controllers.leads import LeadController, PublicFormController
from guanxi_web.controllers.locale import LocaleController
from guanxi_web.controllers.notifications import NotificationController
from guanxi_web.controllers.oauth import OAuthController, with_provider_buttons
from guanxi_web.controllers.operator import OperatorBillingController
from guanxi_web.controllers.orders import OrderController, ReceivablesController
from guanxi_web.controllers.pools import AccountPoolController, PoolController
from guanxi_web.controllers.products import ProductController
from guanxi_web.controllers.quotes import ContractController, QuoteController
from guanxi_web.controllers.records import FileController
from guanxi_web.controllers.reports import ReportsController
from guanxi_web.controllers.sales_settings import SalesSettingsController
from guanxi_web.controllers.search import SearchController
from guanxi_web.controllers.settings import SettingsController
from guanxi_web.controllers.targets import TargetController
from guanxi_web.controllers.todo import TodoController
from guanxi_web.controllers.workreport_settings import WorkReportRulesController
from guanxi_web.controllers.workreports import WorkReportController
from guanxi_web.controllers.workspace import WorkspaceController
from guanxi_web.dependencies import provide_api
from guanxi_web.errors import EXCEPTION_HANDLERS
from guanxi_web.middleware import LocaleMiddleware, add_security_headers
from guanxi_web.rendering import HTMX_DIR, HTMX_PATH, STATIC_DIR, STATIC_PATH, template_engine

CSRF_COOKIE = "gx_web_csrf"
CSRF_HEADER = "X-CSRFToken"
MAX_BODY_BYTES = 64 * 1024
# Asset URLs carry a content hash (see rendering.static_url), so browsers may keep them for good.
IMMUTABLE = CacheControlHeader(max_age=31536000, public=True)


def create_app(*, api_transport: httpx.AsyncBaseTransport | None = None, settings: Settings | None = None) -> Litestar:
    """Build the app. Tests pass ``api_transport`` (an ``httpx.MockTransport``) to stand in for the API."""
    settings = settings or get_settings()
    configure_logging("web")
    # Every API call is already part of the request's own log event; httpx's line per call is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    catalogs = i18n.load_catalogs()
    api = ApiClient(settings.api_url, transport=api_transport)
    return Litestar(
        route_handlers=[
            HealthController,
            AuthController,
            OAuthController,
            LocaleController,
            WorkspaceController,
            AccountController,
            ContactController,
            ImportController,
            FileController,
            ExportController,
            ActivityController,
            CalendarController,
            PoolController,
            AccountPoolController,
            DealController,
            TargetController,
            ReportsController,
            GradingController,
            AccountGradeController,
            BillingController,
            PricingController,
            OperatorBillingController,
            ChurnController,
            AccountWinBackController,
            TodoController,
            NotificationController,
            AnnouncementController,
            WorkReportController,
            QuoteController,
            ContractController,
            ProductController,
            LeadController,
            PublicFormController,
            LeadSettingsController,
            OrderController,
            ReceivablesController,
            SearchController,
            SettingsController,
            SalesSettingsController,
            WorkReportRulesController,
            DocumentSettingsController,
            InvitationController,
            create_static_files_router(STATIC_PATH, [STATIC_DIR], name="static", cache_control=IMMUTABLE),
            create_static_files_router(HTMX_PATH, [HTMX_DIR], name="htmx", cache_control=IMMUTABLE),
        ],
        dependencies={"api": Provide(provide_api)},
        middleware=[request_logging, DefineMiddleware(LocaleMiddleware, catalogs=catalogs)],
        before_send=[add_security_headers],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            header_name=CSRF_HEADER,
            cookie_httponly=True,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            exclude=["/health", "/ready", STATIC_PATH, HTMX_PATH, "/f/"],  # /f/: the public lead forms (no session)
        ),
        template_config=TemplateConfig(instance=with_provider_buttons(template_engine())),
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[api.open],
        on_shutdown=[api.close],
        state=State({"api": api, "catalogs": catalogs}),
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=None,
        logging_config=None,
    )
