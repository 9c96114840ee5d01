"""Every bench in bench/ runs once at a tiny size, as its docstring says to run it (``python bench/NAME.py``,
a fresh process, its own scratch database on the test PostgreSQL), and prints its ratio beside its aim.

No timing is asserted: a tiny run on a busy machine says nothing about speed. What this guards is that a
schema or service change never breaks a bench silently (issue 16)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]

#: bench → the flags of its tiny run (the real ones its docstring names)
TINY = {
    "intake": ["--dossiers", "3", "--scans", "0"],
    "lookup": ["--rows", "200", "--requests", "20"],
    "sla_scan": ["--rows", "500", "--breached", "0.02", "--repeat", "1"],
    "reconcile": ["--rows", "300"],
    "statistics": ["--rows", "500", "--agencies", "3"],
    "relay": ["--events", "20", "--batch", "10"],
    "sla_page": ["--legs", "400", "--offices", "2", "--repeat", "1"],
    # gunicorn and locust for real, three seconds a phase
    "load": ["--dossiers", "300", "--legs", "20", "--users", "2", "--seconds", "3", "--port", "8779"],
}
#: files of bench/ that are no bench of their own: shared code, and the scenarios bench/load.py gives locust
NOT_BENCHES = {"__init__", "support", "locustfile"}
RATIO = re.compile(r"^ratio .*:\s+[0-9]+\.[0-9]+.*\(aim: [^)]+\)$", re.MULTILINE)


def test_every_bench_is_covered():
    benches = {path.stem for path in (ROOT / "bench").glob("*.py")} - NOT_BENCHES
    assert benches == set(TINY)


@pytest.mark.slow
@pytest.mark.xdist_group("rabbitmq")
@pytest.mark.parametrize("name", sorted(TINY))
def test_bench_runs_from_its_docstring_command_and_prints_its_ratio(name):
    script = ROOT / "bench" / f"{name}.py"
    doc = script.read_text(encoding="utf-8").split('"""')[1]
    assert f"bench/{name}.py" in doc
    for flag in TINY[name]:
        if flag.startswith("--"):
            assert flag in doc, f"{flag} is not named in bench/{name}.py's docstring"
    # started from elsewhere, as from a fresh clone's root would not prove the script finds its own packages
    result = subprocess.run(
        [sys.executable, str(script), *TINY[name], "--admin-url", ADMIN_URL],
        cwd="/", capture_output=True, text=True, timeout=240,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert RATIO.search(result.stdout), result.stdout


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_flags_a_bench_docstring_names_are_its_real_ones(name):
    script = ROOT / "bench" / f"{name}.py"
    doc = script.read_text(encoding="utf-8").split('"""')[1]
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", doc))
    assert named, f"bench/{name}.py's docstring names no flag"
    result = subprocess.run([sys.executable, str(script), "--help"], cwd="/", capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": ""})
    assert result.returncode == 0, result.stderr[-2000:]
    real = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.stdout))
    assert named <= real, named - real
