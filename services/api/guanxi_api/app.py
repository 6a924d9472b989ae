"""The API application: ``uvicorn guanxi_api.app:create_app --factory``."""

from __future__ import annotations

from typing import Any

from guanxi.asgi import request_logging
from guanxi.db.engine import dispose_engine
from guanxi.errors import DomainError, FieldError
from guanxi.logging import configure_logging
from guanxi.redis import close_redis
from litestar import Litestar, Request
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from guanxi_api.controllers.activities import ActivityController
from guanxi_api.controllers.admin import AdminController
from guanxi_api.controllers.announcements import AnnouncementController
from guanxi_api.controllers.attachments import AttachmentController
from guanxi_api.controllers.billing import BillingController, PlansController, StripeWebhookController
from guanxi_api.controllers.churn import AccountChurnController, ChurnController
from guanxi_api.controllers.contracts import ContractController, ContractSettingsController, QuoteContractController
from guanxi_api.controllers.customers import AccountController, ContactController, SearchController
from guanxi_api.controllers.customfields import CustomFieldController
from guanxi_api.controllers.deals import DealController, LossReasonController, PipelineAdminController
from guanxi_api.controllers.exports import ExportController
from guanxi_api.controllers.grading import AccountGradeController, GradingController
from guanxi_api.controllers.health import HealthController
from guanxi_api.controllers.identity import AuthController, MeController, PasswordResetController, TwoFactorController
from guanxi_api.controllers.imports import ImportController
from guanxi_api.controllers.invitations import InvitationAdminController, InvitationController
from guanxi_api.controllers.leads import (
    LeadController,
    LeadFormController,
    LeadRuleController,
    PublicLeadFormController,
)
from guanxi_api.controllers.notifications import NotificationController
from guanxi_api.controllers.numbering import NumberingController
from guanxi_api.controllers.oauth import OAuthController
from guanxi_api.controllers.operator import OperatorBillingController
from guanxi_api.controllers.orders import InstalmentController, OrderController, ReceivableController
from guanxi_api.controllers.pipeline import PipelineController
from guanxi_api.controllers.pools import AccountPoolController, PoolController
from guanxi_api.controllers.products import PriceListController, ProductController
from guanxi_api.controllers.quotes import PrintTemplateController, QuoteController
from guanxi_api.controllers.reports import ReportController
from guanxi_api.controllers.targets import TargetController
from guanxi_api.controllers.todo import TodoController
from guanxi_api.controllers.tokens import TokenController
from guanxi_api.controllers.views import ViewController
from guanxi_api.controllers.workreports import WorkReportController
from guanxi_api.dependencies import audit_refusal, provide_db
from guanxi_api.problems import EXCEPTION_HANDLERS

MAX_BODY_BYTES = 1024 * 1024


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Guanxi CRM API",
        version="1.0.0",
        description="The JSON API of Guanxi CRM. Errors are RFC 9457 problem+json.",
        path="/api/schema",
        render_plugins=[ScalarRenderPlugin()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http", scheme="bearer", description="A session token (gxs_…) from /api/v1/auth/login"
                ),
                "cookie": SecurityScheme(
                    type="apiKey",
                    name="gx_session",
                    security_scheme_in="cookie",
                    description="Browser session; writes need the X-CSRF-Token header",
                ),
            }
        ),
        security=[{"bearer": []}, {"cookie": []}],
    )


BODY_METHODS = {"POST", "PUT", "PATCH"}


async def require_json_bodies(request: Request[Any, Any, Any]) -> None:
    """Only JSON is accepted (and files where a route says so): a cross-site HTML form cannot reach a write."""
    if request.method not in BODY_METHODS:
        return
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data" and request.route_handler.opt.get("accepts_files"):
        return  # file uploads; cookie-authenticated ones still need the CSRF header (provide_auth)
    if has_body and media_type != "application/json":
        raise DomainError(
            detail="Send the body as application/json.",
            status=415,
            type="unsupported-media-type",
            title="Unsupported media type",
            errors=[FieldError("content-type", "must be application/json")],
        )


def create_app() -> Litestar:
    configure_logging("api")
    return Litestar(
        after_exception=[audit_refusal],
        route_handlers=[
            HealthController,
            AuthController,
            MeController,
            NotificationController,
            AnnouncementController,
            WorkReportController,
            OAuthController,
            PipelineController,
            TokenController,
            AdminController,
            AccountController,
            ContactController,
            SearchController,
            CustomFieldController,
            ActivityController,
            ViewController,
            PoolController,
            GradingController,
            BillingController,
            PlansController,
            StripeWebhookController,
            OperatorBillingController,
            DealController,
            PipelineAdminController,
            LossReasonController,
            LeadController,
            LeadRuleController,
            LeadFormController,
            PublicLeadFormController,
            ProductController,
            PriceListController,
            NumberingController,
            TargetController,
            ReportController,
            ChurnController,
            AccountChurnController,
            TodoController,
            QuoteController,
            PrintTemplateController,
            ContractController,
            QuoteContractController,
            ContractSettingsController,
            OrderController,
            ReceivableController,
            InstalmentController,
            AccountPoolController,
            AccountGradeController,
            AttachmentController,
            ImportController,
            ExportController,
            InvitationAdminController,
            InvitationController,
            PasswordResetController,
            TwoFactorController,
        ],
        dependencies={"db": Provide(provide_db)},
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=require_json_bodies,
        middleware=[request_logging],
        openapi_config=openapi_config(),
        on_shutdown=[dispose_engine, close_redis],
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
    )
