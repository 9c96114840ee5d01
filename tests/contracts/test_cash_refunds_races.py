"""Cash refunds under concurrency (Điều 14.2.c): an authorisation clicked ten times at once gives one refund, a
payment tapped ten times at once pays it once; each click in its own transaction, like a web request."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts import cash_refunds
from contracts.models import CashRefund
from postal_gateway.accounts.models import User
from postal_gateway.core.domain import Conflict
from postal_gateway.workbench import reception
from tests.contracts.test_cash_refunds import MORNING, _dossier, _flag, office  # noqa: F401 (fixture)
from tests.payments.test_payments_races import THREADS, in_parallel

pytestmark = pytest.mark.commits  # concurrent transactions on several connections


def _authorise_in_own_session(engine, admin_id: int, flag_id: int) -> int:
    with Session(engine, expire_on_commit=False) as session:
        refund = cash_refunds.authorise_cash_refund(session, admin=session.get(User, admin_id), flag_id=flag_id,
                                                    now=MORNING + timedelta(hours=2))
        session.commit()
        return refund.id


def _pay_in_own_session(engine, worker_id: int, refund_id: int, index: int) -> str:
    with Session(engine, expire_on_commit=False) as session:
        try:
            cash_refunds.pay_cash_refund(session, worker=session.get(User, worker_id), refund_id=refund_id,
                                         recipient_name="Trần Thị Hoàn", id_last4="1234",
                                         voucher_number=f"PC-{index:04d}", now=MORNING + timedelta(hours=3))
        except Conflict:
            session.rollback()
            return "refused"
        session.commit()
        return "paid"


def test_ten_clicks_authorise_one_refund_ten_taps_pay_it_once__dieu_14_2_c(app, session, office):  # noqa: F811
    """Điều 14.2.c: the fee goes back once: ten concurrent authorisations of one flag all answer with the one
    refund; ten concurrent payments of it: one pays, nine are refused, the till shows one refund."""
    dossier = _dossier(session, office, submitted=True, at=MORNING + timedelta(minutes=10))
    reception.refuse(session, officer=office["officer"], ref=dossier.shipment_number, reasons=["Sai thẩm quyền"],
                     now=MORNING + timedelta(hours=1))
    flag_id, admin_id, worker_id = _flag(session, dossier).id, office["admin"].id, office["worker"].id
    session.commit()
    engine = app.extensions["engine"]
    ids = in_parallel(lambda _i: _authorise_in_own_session(engine, admin_id, flag_id))
    assert all(isinstance(refund_id, int) for refund_id in ids), ids  # no click met an error
    assert len(set(ids)) == 1
    outcomes = in_parallel(lambda i: _pay_in_own_session(engine, worker_id, ids[0], i))
    assert sorted(outcomes) == ["paid"] + ["refused"] * (THREADS - 1), outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CashRefund)) == 1
    assert session.get(CashRefund, ids[0]).paid_at is not None
