"""The demo dossier loads once, and the benches run at a tiny size."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.demo import load_demo_users
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.dossiers.models import Dossier
from tracking.demo import load_demo_tracking

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_dossier_is_idempotent_and_followable(client, session):
    load_demo_catalogue(session)
    load_demo_users(session)
    first = load_demo_tracking(session)
    second = load_demo_tracking(session)
    session.commit()
    assert first == second and "/lookup?code=" in first[0]
    assert session.scalar(select(func.count()).select_from(Dossier)) == 1
    code = session.scalar(select(Dossier.code))
    assert client.get(f"/lookup?code={code}").status_code == 200


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                            timeout=240, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.slow
def test_sla_scan_bench_smoke():
    out = _run("sla_scan.py", "--rows", "2000")
    assert "ratio scan / bare" in out and "breaches: 20 of 2,000" in out


@pytest.mark.slow
def test_lookup_bench_smoke():
    out = _run("lookup.py", "--rows", "500", "--requests", "100")
    assert "ratio app / bare" in out
