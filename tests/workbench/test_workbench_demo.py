"""The workbench's demo dossier: loaded once, past due, ready for the officer's walk-through."""
from __future__ import annotations

from sqlalchemy import func, select

from postal_gateway.accounts.demo import load_demo_users
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import Dossier, DossierStatus
from postal_gateway.workbench import services
from postal_gateway.workbench import reception
from postal_gateway.workbench.demo import load_demo_workbench


def test_demo_dossier_is_loaded_once_and_can_be_worked_to_return(session):
    load_demo_catalogue(session)
    load_demo_users(session)
    first = load_demo_workbench(session)
    again = load_demo_workbench(session)
    session.commit()
    assert first == again and "/workbench/receive" in first[0]
    # the past-due dossier, and one the post submitted that waits for acceptance (Điều 21.1, 12.1.a)
    assert session.scalar(select(func.count()).select_from(Dossier)) == 2
    dossier = session.scalars(select(Dossier).where(Dossier.code.is_not(None))).one()
    assert dossier.status == DossierStatus.received and dossier.due_at < utcnow()
    waiting = session.scalars(select(Dossier).where(Dossier.code.is_(None))).one()
    assert waiting.status == DossierStatus.submitted and waiting.shipment_number in first[1]
    from postal_gateway.accounts.models import User

    officer = session.scalar(select(User).where(User.email == "motcua@demo.stttt.gov.vn"))
    now = utcnow()
    services.receive_from_post(session, officer=officer, code=dossier.code, paper_matches=True, now=now)
    for action in ("transfer", "start_processing"):
        services.advance(session, officer=officer, code=dossier.code, action=action, now=now)
    services.mark_result_ready(session, officer=officer, code=dossier.code, now=now)
    services.return_result(session, officer=officer, code=dossier.code, via="post", now=now)
    assert dossier.status == DossierStatus.result_with_post
    reception.accept(session, officer=officer, ref=waiting.shipment_number, basis="online_valid", now=now)
    assert waiting.status == DossierStatus.received and waiting.code
