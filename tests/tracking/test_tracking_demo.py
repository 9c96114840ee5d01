"""The demo dossiers load once and give the demo worker a run sheet for the day; the benches run at a tiny size."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contracts.demo import load_demo_contracts
from contracts.models import CashShift
from postal_gateway.accounts.demo import load_demo_users
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.dossiers.models import Dossier, DossierStatus
from tracking.demo import delivery_promise, load_demo_run_sheet_delivery, load_demo_tracking
from tracking.models import LegState
from tracking.run_sheet import DELIVERY, PICKUP, end_of_day, run_sheet

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
    dossier = session.scalar(select(Dossier))
    # only submitted by the post (Điều 21.1): no code, receipt or appointment until the agency accepts it (14.4)
    assert dossier.status == DossierStatus.submitted and dossier.code is None and dossier.received_at is None
    assert [change.to_status for change in dossier.history] == [DossierStatus.submitted]
    assert dossier.shipment_number in first[0]
    assert client.get(f"/lookup?code={dossier.shipment_number}").status_code == 200


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


@pytest.mark.slow
def test_the_demo_worker_has_a_pickup_and_a_delivery_on_todays_run_sheet_dieu_20_1_dieu_25_2(session):
    """Điều 20.1 (pickup at the citizen's door) and Điều 25.2 (result within 24 hours): the demo, loaded at any
    hour, puts both stops on the demo worker's sheet for that day, the delivery not yet overdue."""
    load_demo_catalogue(session)
    load_demo_users(session)
    load_demo_contracts(session)
    load_demo_tracking(session)
    first = load_demo_run_sheet_delivery(session)
    assert load_demo_run_sheet_delivery(session) == first  # idempotent
    staff = session.scalar(select(User).where(User.email == "buudien1@demo.buudien.vn"))
    now = utcnow()

    sheet = run_sheet(session, post_office=staff.post_office, now=now)

    assert sorted(stop.kind for stop in sheet.stops) == [DELIVERY, PICKUP]
    delivery = next(stop for stop in sheet.stops if stop.kind == DELIVERY)
    assert now < delivery.due_at <= end_of_day(now) and delivery.state == LegState.with_post
    assert delivery.dossier_ref in first[0]
    # nothing of the demo was paid in cash at the worker's office: the day's cash book starts empty
    assert session.scalar(select(func.count()).select_from(CashShift).where(CashShift.worker_id == staff.id)) == 0


@pytest.mark.parametrize("local_time", ["00:05", "08:00", "21:00", "23:50"])
def test_the_demo_delivery_is_promised_later_the_same_day(local_time):
    hour, minute = map(int, local_time.split(":"))
    now = datetime(2026, 12, 1, hour, minute, tzinfo=VIETNAM)
    promise = delivery_promise(now)
    assert now < promise < end_of_day(now)
