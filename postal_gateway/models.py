"""Imports every area's tables so that metadata, Alembic and the tests see them all."""
from postal_gateway import calendar_models, events  # noqa: F401
from postal_gateway.areas import area_parts
from postal_gateway.db import Base

MODEL_MODULES = area_parts("models")
metadata = Base.metadata
