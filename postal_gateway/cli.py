"""Operator commands, run as ``flask --app postal_gateway.app <command>``.

Each area keeps its commands in ``<area>/commands.py`` and exports them as ``COMMANDS``.
"""
from __future__ import annotations

from flask import Flask

from postal_gateway.areas import area_parts
from postal_gateway.demo import load_demo_command


def register_commands(app: Flask) -> None:
    app.cli.add_command(load_demo_command)
    for module in area_parts("commands"):
        for command in module.COMMANDS:
            app.cli.add_command(command)
