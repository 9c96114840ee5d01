"""Refunds (R-13): authorised by the agency admin, idempotent, bounded, refused after a result, sent to VNPay."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from payments import refunds, runtime, services
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput
from postal_gateway.dossiers.models import DossierStatus
from tests import factories
from tests.conftest import log_in
from tests.payments.test_payments import CONFIG, _through_sandbox, level4_dossier


@pytest.fixture()
def paid(client, session):
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    session.commit()
    payment = _through_sandbox(client, session, dossier)
    assert payment.status == PaymentStatus.paid
    client.get("/logout")
    admin = factories.user(session, Role.agency_admin, agency_id=dossier.agency_id)
    session.commit()
    return dossier, payment, admin


def _send(session, refund):
    session.commit()
    status = refunds.send_refund(session, refund.id, config=CONFIG, now=refund.created_at + timedelta(seconds=1),
                                 transport=runtime.local_sandbox_transport)
    session.commit()
    return status


def test_partial_then_rest_refunded_through_vnpay(session, paid):
    dossier, payment, admin = paid
    first = refunds.request_refund(session, dossier=dossier, amount_vnd=20_000, reason="Cơ quan không thực hiện được",
                                   authorised_by=admin, idempotency_key="key-00000001")
    assert first.transaction_type == "03"
    assert _send(session, first) == RefundStatus.completed
    assert services.fee_balance(session, dossier) == services.FeeBalance(50_000, 30_000, 20_000)
    session.refresh(payment)
    assert payment.status == PaymentStatus.partially_refunded and payment.refunded_vnd == 20_000
    second = refunds.request_refund(session, dossier=dossier, amount_vnd=30_000, reason="Phần còn lại",
                                    authorised_by=admin, idempotency_key="key-00000002")
    assert _send(session, second) == RefundStatus.completed
    assert services.fee_balance(session, dossier).paid_vnd == 0
    with pytest.raises(InvalidInput) as error:
        refunds.request_refund(session, dossier=dossier, amount_vnd=1, reason="Thêm", authorised_by=admin,
                               idempotency_key="key-00000003")
    assert error.value.field_errors[0].field == "amount_vnd"


def test_double_click_gives_one_refund_and_larger_than_paid_is_refused(session, paid):
    dossier, _payment, admin = paid
    with pytest.raises(InvalidInput) as error:
        refunds.request_refund(session, dossier=dossier, amount_vnd=50_001, reason="Quá", authorised_by=admin,
                               idempotency_key="key-big-0001")
    assert error.value.field_errors[0].field == "amount_vnd"
    one = refunds.request_refund(session, dossier=dossier, amount_vnd=50_000, reason="Không thực hiện",
                                 authorised_by=admin, idempotency_key="key-same-001")
    session.commit()
    two = refunds.request_refund(session, dossier=dossier, amount_vnd=50_000, reason="Không thực hiện",
                                 authorised_by=admin, idempotency_key="key-same-001")
    assert one.id == two.id
    assert len(list(session.scalars(select(Refund)))) == 1
    with pytest.raises(Conflict):
        refunds.request_refund(session, dossier=dossier, amount_vnd=10_000, reason="Khác", authorised_by=admin,
                               idempotency_key="key-same-001")
    with pytest.raises(InvalidInput) as every:
        refunds.request_refund(session, dossier=dossier, amount_vnd=0, reason=" ", authorised_by=admin, idempotency_key="x")
    assert {e.field for e in every.value.field_errors} == {"amount_vnd", "reason", "idempotency_key"}


@pytest.mark.parametrize("status", [DossierStatus.result_ready, DossierStatus.returned])
def test_no_refund_once_the_result_is_completed(session, paid, status):
    dossier, _payment, admin = paid
    dossier.status = status
    session.flush()
    with pytest.raises(Conflict):
        refunds.request_refund(session, dossier=dossier, amount_vnd=10_000, reason="x", authorised_by=admin,
                               idempotency_key="key-result-1")


def test_only_the_agencys_admin_authorises(session, paid):
    dossier, _payment, _admin = paid
    staff = factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
    stranger = factories.user(session, Role.agency_admin)
    for user in (staff, stranger):
        with pytest.raises(Forbidden):
            refunds.request_refund(session, dossier=dossier, amount_vnd=1_000, reason="x", authorised_by=user,
                                   idempotency_key="key-forbid-1")


def test_refund_page_double_post_and_api(client, session, paid):
    dossier, payment, admin = paid
    log_in(client, admin)
    form = {"amount_vnd": "10000", "reason": "Không thực hiện được", "idempotency_key": "page-key-0001"}
    assert client.post(f"/payments/dossiers/{dossier.code}/refunds", data=form).status_code == 303
    assert client.post(f"/payments/dossiers/{dossier.code}/refunds", data=form).status_code == 303
    refunds_made = list(session.scalars(select(Refund)))
    assert len(refunds_made) == 1 and refunds_made[0].status == RefundStatus.completed
    too_much = client.post(f"/payments/dossiers/{dossier.code}/refunds",
                           data={**form, "amount_vnd": "999999", "idempotency_key": "page-key-0002"})
    assert too_much.status_code == 422 and "vượt quá" in too_much.get_data(as_text=True)
    garbage = client.post(f"/payments/dossiers/{dossier.code}/refunds", data={"amount_vnd": "abc"})
    assert garbage.status_code == 422
    session.expire_all()
    assert session.get(Payment, payment.id).refunded_vnd == 10_000


def test_sandbox_refuses_a_refund_beyond_what_it_took(session, paid):
    dossier, payment, admin = paid
    refund = refunds.request_refund(session, dossier=dossier, amount_vnd=50_000, reason="x", authorised_by=admin,
                                    idempotency_key="key-sbx-0001")
    refund.amount_vnd = 90_000  # as if our side had lost track: VNPay still refuses
    refund.transaction_type = "03"
    assert _send(session, refund) == RefundStatus.failed
    assert refund.response_code == "95"
