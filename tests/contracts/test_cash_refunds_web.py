"""Cash refund pages and API (Điều 14.2.c): the agency admin's action on the refunds page, the postal worker's
payment page, their API twins, and the cash book and remittance pages showing the refund."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contracts import cashbook
from contracts.models import CashRefund, Remittance
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import DossierStatus, PaymentKind
from postal_gateway.workbench.models import RefundFlag
from tests import factories
from tests.conftest import log_in

FEE = 80_000


@pytest.fixture()
def refused(session):
    """A dossier refused at reception whose fee the worker took in cash an hour ago: flagged for refund."""
    now = utcnow()
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, fee_vnd=FEE)
    office = factories.post_office(session, province_code="70", district_code="689")
    worker = factories.user(session, Role.postal_staff, post_office_id=office.id)
    people = dict(
        worker=worker, cashier=factories.user(session, Role.postal_staff, post_office_id=office.id),
        stranger=factories.user(session, Role.postal_staff),
        officer=factories.user(session, Role.agency_staff, agency_id=agency.id),
        admin=factories.user(session, Role.agency_admin, agency_id=agency.id),
        other_admin=factories.user(session, Role.agency_admin),
    )
    cashbook.open_shift(session, worker_id=worker.id, now=now - timedelta(hours=2))
    dossier = factories.postal_dossier(
        session, procedure=procedure, staff=worker, entered_at=now - timedelta(hours=1), status=DossierStatus.refused,
        code=None, received_at=None, processing_start_at=None, due_at=None, appointment_date=None, accepted_at=None,
        receipt_basis=None)
    factories.amount_collected(session, dossier, PaymentKind.fee, FEE, by=worker, at=now - timedelta(hours=1))
    flag = RefundFlag(dossier_id=dossier.id, amount_vnd=FEE, cause="refused", flagged_at=now,
                      flagged_by_id=people["officer"].id)
    session.add(flag)
    session.commit()
    return dict(dossier=dossier, flag=flag, **people)


def _bearer(session, user) -> dict:
    token, _ = issue_token(session, user)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_admin_authorises_worker_pays_on_the_pages__dieu_14_2_c(client, session, refused):
    """Điều 14.2.c: on the refunds page (reached by the shipment number of a dossier that never got a code) the
    agency admin authorises the cash refund; a double post gives one refund; the worker finds it on the cash book,
    pays it on its page; the book shows the negative line and the cashier's form is net of it."""
    ref = refused["dossier"].shipment_number
    log_in(client, refused["admin"])
    page = client.get(f"/payments/dossiers/{ref}/refunds")
    assert page.status_code == 200 and "Hoàn trả tiền mặt qua bưu chính" in page.get_data(as_text=True)
    too_much = client.post(f"/payments/dossiers/{ref}/refunds/cash", data={"amount_vnd": str(FEE + 1)})
    assert too_much.status_code == 422 and "80.000" in too_much.get_data(as_text=True)
    for _ in range(2):
        done = client.post(f"/payments/dossiers/{ref}/refunds/cash", data={"amount_vnd": str(FEE)})
        assert done.status_code == 303
    assert session.scalar(select(func.count()).select_from(CashRefund)) == 1
    assert "Đã duyệt, chờ bưu cục chi trả" in client.get(f"/payments/dossiers/{ref}/refunds").get_data(as_text=True)
    refund = session.scalars(select(CashRefund)).one()
    client.get("/logout")

    log_in(client, refused["worker"])
    assert f"/cash/refunds/{refund.id}/pay" in client.get("/cash").get_data(as_text=True)
    assert client.get(f"/cash/refunds/{refund.id}/pay").status_code == 200
    bad = client.post(f"/cash/refunds/{refund.id}/pay", data={"recipient_name": "", "id_last4": "12",
                                                               "voucher_number": ""})
    assert bad.status_code == 422 and "4 số cuối" in bad.get_data(as_text=True)
    paid = client.post(f"/cash/refunds/{refund.id}/pay", data={"recipient_name": "Lê Văn Nhận", "id_last4": "4321",
                                                                "voucher_number": "PC/2026/17"})
    assert paid.status_code == 302
    again = client.post(f"/cash/refunds/{refund.id}/pay", data={"recipient_name": "Lê Văn Nhận", "id_last4": "4321",
                                                                 "voucher_number": "PC/2026/18"})
    assert again.status_code == 409
    session.expire_all()
    assert session.get(RefundFlag, refused["flag"].id).resolved_at is not None
    book = client.get("/cash").get_data(as_text=True)
    assert "Hoàn trả lệ phí" in book and "−80.000" in book
    client.post("/cash/close")
    shift = cashbook.current_shift(session, worker_id=refused["worker"].id)
    assert shift is None
    client.get("/logout")

    log_in(client, refused["cashier"])
    session.expire_all()
    shift_id = session.scalars(select(CashRefund.shift_id)).one()
    form = client.get(f"/cash/shifts/{shift_id}/remit").get_data(as_text=True)
    assert 'name="refunds_vnd" step="1" type="number" value="80000"' in form
    assert 'min="-10000000000" name="handed_vnd" required step="1" type="number" value="0"' in form
    remitted = client.post(f"/cash/shifts/{shift_id}/remit", data={"fee_vnd": "80000", "postage_vnd": "0",
                                                                   "refunds_vnd": "80000", "handed_vnd": "0"})
    assert remitted.status_code == 302
    session.expire_all()
    remittance = session.scalars(select(Remittance)).one()
    assert (remittance.fee_vnd, remittance.refunds_vnd, remittance.handed_vnd) == (FEE, FEE, 0)


def test_pages_refuse_the_wrong_people__dieu_14_2_c(client, session, refused):
    """Điều 14.2.c: another agency's admin cannot authorise; a worker of another office does not find the refund;
    a worker of the office without an open shift is refused."""
    ref = refused["dossier"].shipment_number
    log_in(client, refused["other_admin"])
    assert client.post(f"/payments/dossiers/{ref}/refunds/cash", data={}).status_code == 403
    client.get("/logout")
    log_in(client, refused["officer"])
    assert client.post(f"/payments/dossiers/{ref}/refunds/cash", data={}).status_code == 403
    client.get("/logout")
    log_in(client, refused["admin"])
    assert client.post(f"/payments/dossiers/{ref}/refunds/cash", data={}).status_code == 303
    refund = session.scalars(select(CashRefund)).one()
    assert refund.amount_vnd == FEE  # nothing typed: all of it
    client.get("/logout")
    log_in(client, refused["stranger"])
    assert client.get(f"/cash/refunds/{refund.id}/pay").status_code == 404
    client.get("/logout")
    log_in(client, refused["cashier"])
    no_shift = client.post(f"/cash/refunds/{refund.id}/pay", data={"recipient_name": "Lê Văn Nhận",
                                                                    "id_last4": "4321", "voucher_number": "PC-1"})
    assert no_shift.status_code == 409
    session.expire_all()
    assert session.get(CashRefund, refund.id).paid_at is None


def test_api_authorise_and_pay__dieu_14_2_c(client, session, refused):
    """Điều 14.2.c through the API: the admin authorises (the same call again returns the same refund), a worker
    of another office gets 404 whatever the body, the worker of the office pays once, a second payment is 409."""
    ref = refused["dossier"].shipment_number
    admin = _bearer(session, refused["admin"])
    assert client.post(f"/api/v1/payments/dossiers/{ref}/cash-refunds", json={"amount_vnd": FEE + 1},
                       headers=admin).status_code == 422
    other = client.post(f"/api/v1/payments/dossiers/{ref}/cash-refunds", json={},
                        headers=_bearer(session, refused["other_admin"]))
    assert other.status_code == 403
    first = client.post(f"/api/v1/payments/dossiers/{ref}/cash-refunds", json={}, headers=admin)
    second = client.post(f"/api/v1/payments/dossiers/{ref}/cash-refunds", json={"amount_vnd": FEE}, headers=admin)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json and first.json["status"] == "authorised" and first.json["amount_vnd"] == FEE
    refund_id = first.json["id"]
    body = {"recipient_name": "Lê Văn Nhận", "id_last4": "4321", "voucher_number": "PC-7"}
    assert client.post(f"/api/v1/cash/refunds/{refund_id}/pay", json={},
                       headers=_bearer(session, refused["stranger"])).status_code == 404
    worker = _bearer(session, refused["worker"])
    bad = client.post(f"/api/v1/cash/refunds/{refund_id}/pay", json={**body, "id_last4": "12345"}, headers=worker)
    assert bad.status_code == 422 and bad.content_type.startswith("application/problem+json")
    paid = client.post(f"/api/v1/cash/refunds/{refund_id}/pay", json=body, headers=worker)
    assert paid.status_code == 200 and paid.json["status"] == "paid" and paid.json["voucher_number"] == "PC-7"
    assert paid.json["dossier_ref"] == ref
    assert client.post(f"/api/v1/cash/refunds/{refund_id}/pay", json=body, headers=worker).status_code == 409
