"""Lookup of a dossier the post submitted and the agency has not accepted yet (Điều 14.4, 17.1, 21.1):
found by its shipment number, labelled "Mới đăng ký", with no code, receipt date or appointment."""
from __future__ import annotations

from datetime import timedelta

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.lookup.projection import refresh_record
from postal_gateway.workbench import reception
from tests import factories


def _submitted(session):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(session, agency)
    dossier = factories.postal_dossier(
        session, procedure=procedure, entered_at=utcnow() - timedelta(minutes=30), status=DossierStatus.submitted,
        code=None, received_at=None, processing_start_at=None, due_at=None, appointment_date=None, accepted_at=None,
        receipt_basis=None,
    )
    session.commit()
    return dossier


def test_lookup_by_shipment_number_before_acceptance_hides_code_and_dates__dieu_14_4_17_1(client, session):
    """Điều 14.4, 17.1: before acceptance the citizen finds the dossier by the shipment number on the
    post's slip; it is "Mới đăng ký", and shows no code, receipt date or appointment. Once accepted,
    the same number finds it with its code and dates."""
    dossier = _submitted(session)
    answer = client.get(f"/api/v1/lookup?code={dossier.shipment_number.lower()}")
    assert answer.status_code == 200, answer.get_json()
    (found,) = answer.get_json()["dossiers"]
    assert found["shipment_number"] == dossier.shipment_number and found["status"] == "submitted"
    assert (found["code"], found["received_at"], found["appointment_date"]) == (None, None, None)
    page = client.get(f"/lookup?code={dossier.shipment_number}").get_data(as_text=True)
    assert "Mới đăng ký" in page and dossier.shipment_number in page and "Chưa tiếp nhận" in page

    officer = factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
    reception.accept(session, officer=officer, ref=dossier.shipment_number, basis="online_valid", now=utcnow())
    session.commit()
    refresh_record(session, dossier)  # what the dossier.received event does through the relay
    session.commit()
    (found,) = client.get(f"/api/v1/lookup?code={dossier.shipment_number}").get_json()["dossiers"]
    assert found["code"] == dossier.code and found["status"] == "received" and found["appointment_date"]
    (by_code,) = client.get(f"/api/v1/lookup?code={dossier.code}").get_json()["dossiers"]
    assert by_code["shipment_number"] == dossier.shipment_number
