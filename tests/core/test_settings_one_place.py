"""Settings in one place: only ``postal_gateway/core/config.py`` reads the environment, every variable it
reads is in the README's configuration table with its default, and code outside a request is handed
the settings its process was built with."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from postal_gateway.core.config import Settings, process_settings, shipment_prefix

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("postal_gateway", "payments", "contracts", "tracking", "migrations")
CONFIG = ROOT / "postal_gateway" / "core" / "config.py"
#: module -> the one variable it may read itself, and why
ALLOWED_READS = {
    # prometheus_client reads it on import to decide where each process writes its samples
    ROOT / "postal_gateway" / "core" / "metrics.py": {"PROMETHEUS_MULTIPROC_DIR"},
}
#: the os names through which a module reads the environment
ENVIRONMENT = ("environ", "environb", "getenv", "getenvb")
#: where a process builds its settings from the environment: the app, and alembic (no app there)
BUILDS_SETTINGS = {CONFIG, ROOT / "postal_gateway" / "app.py", ROOT / "migrations" / "env.py"}


def _modules():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _is_os(node: ast.AST, *names: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in names and isinstance(node.value, ast.Name) \
        and node.value.id == "os"


def _environment_reads(tree: ast.AST) -> list[tuple[int, str | None]]:
    """(line, variable) of every use of os.environ or os.getenv; the variable is None unless the
    line reads one literal name with ``os.environ.get("NAME")``."""
    named = {node.lineno: node.args[0].value for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
             and _is_os(node.func.value, "environ") and node.args and isinstance(node.args[0], ast.Constant)}
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in ENVIRONMENT for alias in node.names):
            reads.append((node.lineno, None))
        elif _is_os(node, *ENVIRONMENT):
            reads.append((node.lineno, named.get(node.lineno)))
    return reads


def test_no_module_but_config_reads_the_environment():
    offenders = []
    for path in _modules():
        if path == CONFIG:
            continue
        for line, name in _environment_reads(ast.parse(path.read_text(), str(path))):
            if name is None or name not in ALLOWED_READS.get(path, set()):
                offenders.append(f"{path.relative_to(ROOT)}:{line} reads {name or 'the environment'}")
    assert offenders == []


def test_the_walk_finds_a_read_it_must_refuse():
    tree = ast.parse('import os\nfrom os import getenv\nURL = os.environ.get("ONESTOP_URL")\nos.environ["X"]\n')
    assert sorted(_environment_reads(tree)) == [(2, None), (3, "ONESTOP_URL"), (4, None)]


def test_settings_are_built_from_the_environment_only_where_a_process_starts():
    callers = {path for path in _modules() if "from_environment(" in path.read_text()}
    assert callers <= BUILDS_SETTINGS


def _variables_read_by_config() -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(CONFIG.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.args[0].value):
            names.add(node.args[0].value)
        if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) for e in node.elts):
            names.update(e.value for e in node.elts if isinstance(e.value, str) and re.fullmatch(r"VNPAY_[A-Z_]+", e.value))
    return names


def _readme_configuration_rows() -> dict[str, str]:
    """variable -> default, from the README's configuration table."""
    text = (ROOT / "README.md").read_text()
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and "`" in cells[0]:
            for name in re.findall(r"`([A-Z][A-Z0-9_<>]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


def test_every_variable_is_in_the_readme_table_with_its_default():
    rows = _readme_configuration_rows()
    # VNPAY_HASH_SECRET is the prefix of one variable per terminal, ZALO_TEMPLATE_ of one per ZNS template;
    # prometheus_client reads its own
    read = (_variables_read_by_config() - {"VNPAY_HASH_SECRET", "ZALO_TEMPLATE_"}) | {
        "VNPAY_HASH_SECRET_<TMN_CODE>", "ZALO_TEMPLATE_<KEY>", "PROMETHEUS_MULTIPROC_DIR"}
    assert len(read) > 30
    assert sorted(read - set(rows)) == []
    assert [name for name in read if not rows[name]] == []


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("LOG_FORMAT", "text", "log_format", "text"),
        ("LOG_LEVEL", "DEBUG", "log_level", "DEBUG"),
        ("INTEGRATION_AMQP_URL", "amqp://mq.example/%2F", "integration_amqp_url", "amqp://mq.example/%2F"),
        ("NOTIFY_SMS_TIMEOUT", "3.5", "notify_sms_timeout", 3.5),
        ("SMTP_PORT", "587", "smtp_port", 587),
        ("SMTP_STARTTLS", "yes", "smtp_starttls", True),
        ("ONESTOP_URL", "https://motcua.example/api", "onestop_url", "https://motcua.example/api"),
        ("ONESTOP_TIMEOUT", "4", "onestop_timeout", 4.0),
        ("TRACKING_AT_RISK_SHARE", "0.6", "tracking_at_risk_share", 0.6),
        ("POSTAL_GEOCODER", "Nominatim", "postal_geocoder", "nominatim"),
        ("POSTAL_GEOCODER_USER_AGENT", "buudien-test", "postal_geocoder_user_agent", "buudien-test"),
        ("PAYMENTS_SANDBOX_IPN_URL", "http://127.0.0.1:9/ipn", "payments_sandbox_ipn_url", "http://127.0.0.1:9/ipn"),
    ],
)
def test_each_variable_reaches_its_setting(monkeypatch, variable, value, field, expected):
    assert getattr(Settings.from_environment(secret_key="x"), field) != expected
    monkeypatch.setenv(variable, value)
    assert getattr(Settings.from_environment(secret_key="x"), field) == expected


def test_code_outside_a_request_gets_the_settings_the_app_was_built_with(app):
    assert process_settings() is app.config["SETTINGS"]
    assert process_settings().public_base_url == "http://testserver"


def test_the_shipment_prefix_is_two_letters_or_the_app_does_not_start():
    assert shipment_prefix(" ra ") == "RA"
    for wrong in ("", "R", "RAA", "R1", "Đ1", "ĐA"):
        with pytest.raises(ValueError, match="SHIPMENT_PREFIX"):
            shipment_prefix(wrong)
