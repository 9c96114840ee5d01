"""The business areas of the product, in one list, and how their parts are found.

Each area is a package; by convention it may have ``models``, ``blueprint`` (exporting ``blueprint``
and optionally ``api``), ``commands`` and ``tasks``
(Celery tasks and a ``BEAT_SCHEDULE`` dict). An area that lacks a part simply has none.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

AREAS = (
    "postal_gateway.accounts",
    "postal_gateway.calendar",
    "postal_gateway.catalogue",
    "postal_gateway.consents",
    "postal_gateway.dossiers",
    "postal_gateway.notifications",
    "postal_gateway.workbench",
    "postal_gateway.official_forms",
    "postal_gateway.statistics",
    "postal_gateway.lookup",
    "postal_gateway.integration",
    "payments",
    "payments.sandbox",
    "contracts",
    "tracking",
)


def area_parts(part: str) -> list[ModuleType]:
    """The given part (e.g. "blueprint") of every area that has that file; every area is always there,
    and an error inside a part's module is raised, never taken for an absent part."""
    return [importlib.import_module(f"{area}.{part}") for area in AREAS
            if importlib.util.find_spec(f"{area}.{part}") is not None]
