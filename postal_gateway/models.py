"""Every area's tables, imported by name, so that metadata, Alembic and the tests see them all.

The list is written out rather than discovered so a reader sees which modules hold tables;
``tests/core/test_architecture.py`` checks it names every area's ``models`` module.
"""
from contracts import models as contracts_models
from contracts.places import models as places_models
from payments import models as payments_models
from payments.sandbox import models as payments_sandbox_models
from postal_gateway.accounts import models as accounts_models
from postal_gateway.calendar import models as calendar_models
from postal_gateway.catalogue import models as catalogue_models
from postal_gateway.consents import models as consents_models
from postal_gateway.core import outbox as events
from postal_gateway.core.db import Base
from postal_gateway.dossiers import models as dossiers_models
from postal_gateway.integration import models as integration_models
from postal_gateway.lookup import models as lookup_models
from postal_gateway.notifications import models as notifications_models
from postal_gateway.notifications import zalo_models
from postal_gateway.notifications.zalo_sandbox import models as zalo_sandbox_models
from postal_gateway.official_forms import models as official_forms_models
from postal_gateway.workbench import models as workbench_models
from tracking import models as tracking_models

#: the modules that define tables: the calendar's and the outbox's, then each area's
MODEL_MODULES = (
    calendar_models, events,
    accounts_models, catalogue_models, consents_models, dossiers_models, notifications_models, zalo_models,
    zalo_sandbox_models,
    workbench_models, official_forms_models, lookup_models, integration_models, payments_models, payments_sandbox_models,
    contracts_models, places_models, tracking_models,
)
metadata = Base.metadata
