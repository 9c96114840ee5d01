"""Imports every area's tables so that metadata, Alembic and the tests see them all."""
from postal_gateway.accounts.models import ApiToken, OneTimeCode, User  # noqa: F401
from postal_gateway.calendar_models import CalendarOverride  # noqa: F401
from postal_gateway.catalogue.models import Agency, ChecklistItem, PostOffice, Procedure  # noqa: F401
from postal_gateway.consents.models import AuditEntry, Consent  # noqa: F401
from postal_gateway.dossiers.models import (  # noqa: F401
    CollectedAmount,
    Dossier,
    DossierCodeCounter,
    DossierDocument,
    DossierStatusChange,
)
from postal_gateway.notifications.models import OutboxMessage  # noqa: F401
from postal_gateway.events import IntegrationEvent  # noqa: F401
from postal_gateway.db import Base

metadata = Base.metadata
