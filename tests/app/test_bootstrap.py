"""Wiring you can see: importing a module installs nothing, postal_gateway.bootstrap installs the Session
listeners once, the app and the worker both call it, and no area guards against another being absent."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from celery import signals

from postal_gateway import bootstrap
from postal_gateway.areas import AREAS, area_parts
from postal_gateway.core.worker import _wire_worker

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("postal_gateway", "payments", "contracts", "tracking")

#: (event name, module, listener) for every Session listener the bootstrap installs
SESSION_LISTENERS = (
    ("before_flush", "postal_gateway.consents.audit", "_refuse_changes_to_audit_entries"),
    ("do_orm_execute", "postal_gateway.consents.audit", "_refuse_bulk_changes_to_audit_entries"),
    ("after_flush", "postal_gateway.lookup.projection", "_collect"),
    ("after_flush_postexec", "postal_gateway.lookup.projection", "_apply_pending"),
    ("after_commit", "postal_gateway.notifications.service", "_after_commit"),
    ("after_soft_rollback", "postal_gateway.notifications.service", "_after_soft_rollback"),
)

_PROBE = """
import importlib, json, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
for name in sys.argv[2:]:
    importlib.import_module(name)
listeners = json.loads(sys.argv[1])
def installed():
    return [event.contains(Session, name, getattr(importlib.import_module(module), function))
            for name, module, function in listeners]
before = installed()
from postal_gateway import bootstrap
bootstrap.install_listeners()
bootstrap.install_listeners()
from sqlalchemy import create_engine
from postal_gateway.notifications import service
calls = []
service.configure_dispatcher(lambda ids, codes: calls.append(list(ids)))
with Session(create_engine("sqlite://")) as session:
    session.info["notifications_to_dispatch"] = [7]
    session.commit()
print(json.dumps({"before": before, "after": installed(), "dispatched": calls}))
"""


@pytest.mark.slow  # a fresh interpreter imports the whole product (seconds): `make test` runs it
def test_importing_every_model_and_task_installs_no_session_listener_and_the_bootstrap_installs_each_once():
    modules = ["postal_gateway.models", "postal_gateway.lookup.models", "postal_gateway.consents.models",
               "postal_gateway.notifications.service", "postal_gateway.app", "postal_gateway.core.worker"]
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(SESSION_LISTENERS), *modules],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"] == [False] * len(SESSION_LISTENERS)
    assert report["after"] == [True] * len(SESSION_LISTENERS)
    # installed twice, acting once: a second app or worker start in one process changes nothing
    assert report["dispatched"] == [[7]]


def test_the_test_app_was_wired_through_the_bootstrap(app):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from postal_gateway.notifications import service
    from tests.held_messages import held_dispatcher

    assert event.contains(Session, "after_commit", service._after_commit)
    assert service.configure_dispatcher(None) is held_dispatcher  # the fake the conftest injected
    service.configure_dispatcher(held_dispatcher)


def test_the_worker_wires_itself_when_it_starts(monkeypatch):
    called = []
    monkeypatch.setattr(bootstrap, "wire_worker", lambda *args, **kwargs: called.append(args))
    assert _wire_worker in [receiver() for _key, receiver in signals.worker_init.receivers]
    signals.worker_init.send(sender=None)
    assert called == [()]


def _guards_against_absent_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
            if names & {"ImportError", "ModuleNotFoundError"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_area_guards_against_another_being_absent():
    guards = [hit for package in PRODUCT_PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
              for hit in _guards_against_absent_modules(path)]
    assert guards == []


def test_area_parts_finds_every_area_that_has_the_file():
    blueprints = {module.__name__ for module in area_parts("blueprint")}
    expected = {f"{area}.blueprint" for area in AREAS
                if (ROOT / area.replace(".", "/") / "blueprint.py").exists()}
    assert blueprints == expected and len(expected) >= 12
