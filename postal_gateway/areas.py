"""The business areas of the product, in one list, and how their parts are found.

Each area is a package; by convention it may have ``models``, ``blueprint`` (exporting ``blueprint``
and optionally ``api``), ``openapi`` (``PATHS``, ``SCHEMAS``), ``commands`` and ``tasks``
(Celery tasks and a ``BEAT_SCHEDULE`` dict). An area that lacks a part simply has none.
"""
from __future__ import annotations

import importlib
from types import ModuleType

AREAS = (
    "postal_gateway.accounts",
    "postal_gateway.catalogue",
    "postal_gateway.consents",
    "postal_gateway.dossiers",
    "postal_gateway.notifications",
    "postal_gateway.workbench",
    "postal_gateway.statistics",
    "postal_gateway.lookup",
    "postal_gateway.integration",
    "payments",
    "payments.sandbox",
    "contracts",
    "tracking",
)


def optional_module(module_path: str) -> ModuleType | None:
    """Import a module that may not exist; errors inside an existing module still raise."""
    try:
        return importlib.import_module(module_path)
    except ModuleNotFoundError as missing:
        if missing.name is not None and module_path.startswith(missing.name):
            return None
        raise


def area_parts(part: str) -> list[ModuleType]:
    """The given part (e.g. "blueprint") of every area that has it."""
    return [module for area in AREAS if (module := optional_module(f"{area}.{part}")) is not None]
