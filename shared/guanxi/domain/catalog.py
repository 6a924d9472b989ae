"""Every tenant model module, imported once: operations over all tables (hand-over) need them registered."""

from guanxi.domain.activities import models as activities_models
from guanxi.domain.announcements import models as announcements_models
from guanxi.domain.attachments import models as attachments_models
from guanxi.domain.churn import models as churn_models
from guanxi.domain.contracts import models as contracts_models
from guanxi.domain.customers import models as customers_models
from guanxi.domain.customfields import models as customfields_models
from guanxi.domain.deals import models as deals_models
from guanxi.domain.exports import models as exports_models
from guanxi.domain.grading import models as grading_models
from guanxi.domain.imports import models as imports_models
from guanxi.domain.notifications import models as notifications_models
from guanxi.domain.numbering import models as numbering_models
from guanxi.domain.orders import models as orders_models
from guanxi.domain.pools import models as pools_models
from guanxi.domain.products import models as products_models
from guanxi.domain.quotes import models as quotes_models
from guanxi.domain.reports import models as reports_models
from guanxi.domain.targets import models as targets_models
from guanxi.domain.timeline import models as timeline_models
from guanxi.domain.views import models as views_models
from guanxi.domain.workreports import models as workreports_models

__all__ = [
    "activities_models",
    "announcements_models",
    "attachments_models",
    "churn_models",
    "contracts_models",
    "customers_models",
    "customfields_models",
    "deals_models",
    "exports_models",
    "grading_models",
    "imports_models",
    "notifications_models",
    "numbering_models",
    "orders_models",
    "pools_models",
    "products_models",
    "quotes_models",
    "reports_models",
    "targets_models",
    "timeline_models",
    "views_models",
    "workreports_models",
]
