"""Operator commands, run as ``flask --app postal_gateway.app <command>``.

Each area keeps its own commands beside its code; this module only gathers them.
"""
from __future__ import annotations

import importlib

from flask import Flask

# module path -> name of the click command (or group) it exports
COMMAND_MODULES = (
    ("postal_gateway.demo", "load_demo_command"),
    ("postal_gateway.catalogue.commands", "catalogue_commands"),
    ("postal_gateway.accounts.commands", "accounts_commands"),
    ("postal_gateway.calendar_commands", "calendar_commands"),
)


def register_commands(app: Flask) -> None:
    for module_path, attribute in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as missing:
            if missing.name != module_path:
                raise
            continue
        app.cli.add_command(getattr(module, attribute))
