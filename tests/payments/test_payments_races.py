"""Money under concurrency: a double-tapped "pay" opens one attempt, a fee paid twice is refunded,
parallel refunds never exceed what was paid (R-13, Điều 14.2.c), on PostgreSQL and on SQLite."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments import refunds, runtime, services, tasks
from payments.locking import lock_dossier_money
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.sandbox import gateway
from postal_gateway.accounts.models import Role, User
from postal_gateway.core.db import make_engine
from postal_gateway.core.domain import InvalidInput
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, Dossier, PaymentKind
from postal_gateway.models import metadata
from tests import factories
from tests.conftest import log_in
from tests.payments.test_payments import CONFIG, ipn_params, level4_dossier, new_payment

pytestmark = pytest.mark.commits  # concurrent payments on several connections

THREADS = 10
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)


def in_parallel(work, count: int = THREADS) -> list:
    """Run ``work(i)`` in ``count`` threads released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test looks at what each thread met
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def start_in_own_session(engine, dossier_id: int) -> int:
    """One tap on "pay": its own connection and transaction, like one web request."""
    with Session(engine, expire_on_commit=False) as session:
        dossier = session.get(Dossier, dossier_id)
        payment, _url = services.start_payment(session, dossier=dossier, citizen_id=dossier.citizen_id,
                                               ip_address="203.0.113.9", config=CONFIG, now=NOW)
        session.commit()
        return payment.id


def refund_in_own_session(engine, dossier_id: int, admin_id: int, key: str, amount_vnd: int) -> str:
    """One agency admin's refund authorisation in its own transaction: authorised or refused."""
    with Session(engine, expire_on_commit=False) as session:
        dossier = session.get(Dossier, dossier_id)
        admin = session.get(User, admin_id)
        try:
            refunds.request_refund(session, dossier=dossier, amount_vnd=amount_vnd, reason="Cơ quan không thực hiện được",
                                   authorised_by=admin, idempotency_key=key, now=NOW)
        except InvalidInput:
            session.rollback()
            return "refused"
        session.commit()
        return "authorised"


def paid_in(session: Session, dossier: Dossier) -> Payment:
    """Start and settle one attempt for ``dossier`` as VNPay's IPN would."""
    payment, _url = services.start_payment(session, dossier=dossier, citizen_id=dossier.citizen_id,
                                           ip_address="203.0.113.9", config=CONFIG, now=NOW)
    assert services.settle(session, payment, paid=True, response_code="00", transaction_status="00",
                           transaction_no="14000001", bank_code="NCB", pay_date=NOW + timedelta(minutes=2),
                           via="ipn", now=NOW + timedelta(minutes=2))
    session.commit()
    return payment


def assert_refunds_within_payment(session: Session, dossier_id: int, outcomes: list, *, paid_vnd: int, each_vnd: int):
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes  # no thread met an error
    authorised = Counter(outcomes)["authorised"]
    total = session.scalar(select(func.coalesce(func.sum(Refund.amount_vnd), 0)).where(Refund.dossier_id == dossier_id))
    assert authorised == paid_vnd // each_vnd
    assert total == authorised * each_vnd <= paid_vnd


# --- PostgreSQL ---------------------------------------------------------------------------------


def test_ten_concurrent_pay_taps_share_one_attempt_on_postgresql(app, session):
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    session.commit()
    engine = app.extensions["engine"]
    ids = in_parallel(lambda _i: start_in_own_session(engine, dossier.id))
    assert all(isinstance(payment_id, int) for payment_id in ids), ids  # no tap met an error (no 500)
    assert len(set(ids)) == 1
    attempts = list(session.scalars(select(Payment).where(Payment.dossier_id == dossier.id)))
    assert [(p.status, p.amount_vnd) for p in attempts] == [(PaymentStatus.pending, 80_000)]


def test_ten_concurrent_refunds_never_exceed_the_fee_paid_on_postgresql(app, session):
    """R-13 (Điều 14.2.c): refunds of 20,000 against a 50,000 fee: two are authorised, never three."""
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    admin = factories.user(session, Role.agency_admin, agency_id=dossier.agency_id)
    paid_in(session, dossier)
    engine = app.extensions["engine"]
    outcomes = in_parallel(lambda i: refund_in_own_session(engine, dossier.id, admin.id, f"race-key-{i:04d}", 20_000))
    assert_refunds_within_payment(session, dossier.id, outcomes, paid_vnd=50_000, each_vnd=20_000)


def test_fee_paid_twice_is_refused_and_queued_for_refund(app, session):
    """R-13: a second settlement of a fee already paid is not the agency's money: it goes back."""
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    session.commit()
    first = new_payment(session, dossier, now=NOW)
    # the citizen comes back after the first window closed and pays again; the first one was paid too
    second = new_payment(session, dossier, now=NOW + timedelta(minutes=services.EXPIRE_MINUTES + 1))
    session.expire_all()
    assert session.get(Payment, first.id).status == PaymentStatus.expired
    assert runtime.process_ipn(ipn_params(first))["RspCode"] == "00"
    assert runtime.process_ipn(ipn_params(second))["RspCode"] == "00"
    session.expire_all()
    rows = list(session.scalars(select(CollectedAmount).where(CollectedAmount.dossier_id == dossier.id)))
    assert {(row.payment_id, row.kind) for row in rows} == {
        (first.id, PaymentKind.fee), (first.id, PaymentKind.postage), (second.id, PaymentKind.fee), (second.id, PaymentKind.postage)}
    queued = list(session.scalars(select(Refund).where(Refund.dossier_id == dossier.id)))
    assert {(r.payment_id, r.kind, r.amount_vnd, r.status, r.authorised_by_id) for r in queued} == {
        (second.id, PaymentKind.fee, 50_000, RefundStatus.requested, None),
        (second.id, PaymentKind.postage, 30_000, RefundStatus.requested, None),
    }
    balance = services.fee_balance(session, session.get(Dossier, dossier.id))
    assert (balance.paid_vnd, balance.settled) == (50_000, True)
    assert services.amounts_due(session, session.get(Dossier, dossier.id)) == (0, 0)
    # what an agency admin may still refund is the fee the agency kept, not the one already going back
    _payment, left = refunds.refundable_payment(session, session.get(Dossier, dossier.id))
    assert left == 50_000


def test_closed_attempt_is_still_asked_about_by_querydr(session):
    """A closed attempt VNPay may have taken money on is queried once its window is over."""
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=0)
    first = new_payment(session, dossier, now=NOW)
    factories.amount_collected(session, dossier, PaymentKind.fee, 20_000)
    session.commit()
    second = new_payment(session, dossier, now=NOW + timedelta(minutes=1))  # amounts changed: a new attempt
    assert second.id != first.id and second.fee_vnd == 30_000
    late = NOW + timedelta(hours=1)
    assert set(services.payments_to_query(session, now=late)) == {first.id, second.id}


def test_the_database_refuses_a_second_open_attempt_and_a_money_row_counted_twice(session):
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=0)
    payment = new_payment(session, dossier, now=NOW)
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(Payment(
                txn_ref=f"{dossier.code}.9", dossier_id=dossier.id, agency_id=dossier.agency_id, attempt=9,
                fee_vnd=50_000, postage_vnd=0, amount_vnd=50_000, status=PaymentStatus.pending,
                created_at=NOW, expires_at=NOW + timedelta(minutes=15), ip_address="203.0.113.9",
            ))
    for _ in range(2):
        session.add(CollectedAmount(dossier_id=dossier.id, payment_id=payment.id, kind=PaymentKind.fee,
                                    method=CollectionMethod.online, amount_vnd=50_000))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_money_rows_are_never_deleted_with_their_dossier(session):
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    session.commit()
    payment = new_payment(session, dossier, now=NOW)
    assert runtime.process_ipn(ipn_params(payment))["RspCode"] == "00"
    admin = factories.user(session, Role.agency_admin, agency_id=dossier.agency_id)
    refunds.request_refund(session, dossier=dossier, amount_vnd=10_000, reason="x", authorised_by=admin,
                           idempotency_key="keep-key-0001", now=NOW)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(delete(Dossier).where(Dossier.id == dossier.id))
    session.rollback()
    for table in (Payment, CollectedAmount, Refund):
        assert session.scalar(select(func.count()).select_from(table).where(table.dossier_id == dossier.id)) > 0


# --- SQLite (a file database: no row locks) ------------------------------------------------------


@pytest.fixture()
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'money.sqlite'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_ten_concurrent_refunds_never_exceed_the_fee_paid_on_sqlite(sqlite_engine):
    """R-13 (Điều 14.2.c) on SQLite: BEGIN IMMEDIATE serialises the refunds of a dossier."""
    with Session(sqlite_engine, expire_on_commit=False) as session:
        dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
        admin = factories.user(session, Role.agency_admin, agency_id=dossier.agency_id)
        session.commit()
        paid_in(session, dossier)
        outcomes = in_parallel(
            lambda i: refund_in_own_session(sqlite_engine, dossier.id, admin.id, f"lite-key-{i:04d}", 20_000))
        assert_refunds_within_payment(session, dossier.id, outcomes, paid_vnd=50_000, each_vnd=20_000)


def test_ten_concurrent_pay_taps_share_one_attempt_on_sqlite(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as session:
        dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
        session.commit()
        ids = in_parallel(lambda _i: start_in_own_session(sqlite_engine, dossier.id))
        assert all(isinstance(payment_id, int) for payment_id in ids), ids
        assert len(set(ids)) == 1
        assert session.scalar(select(func.count()).select_from(Payment).where(Payment.dossier_id == dossier.id)) == 1


def test_sqlite_money_lock_takes_the_write_lock_up_front(sqlite_engine):
    """The lock is BEGIN IMMEDIATE: a second writer waits for it instead of reading stale figures."""
    with Session(sqlite_engine) as holder, sqlite_engine.connect() as other:
        lock_dossier_money(holder, 1)
        other.exec_driver_sql("PRAGMA busy_timeout=0")
        with pytest.raises(Exception, match="locked"):
            other.exec_driver_sql("BEGIN IMMEDIATE")
        holder.rollback()
        other.exec_driver_sql("BEGIN IMMEDIATE")
        other.exec_driver_sql("ROLLBACK")


def test_same_key_clicked_ten_times_at_once_gives_one_refund(app, session):
    """A full refund double-clicked: every click is answered with the one refund, none refused."""
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    admin = factories.user(session, Role.agency_admin, agency_id=dossier.agency_id)
    paid_in(session, dossier)
    engine = app.extensions["engine"]
    outcomes = in_parallel(lambda _i: refund_in_own_session(engine, dossier.id, admin.id, "same-key-0001", 50_000))
    assert outcomes == ["authorised"] * THREADS
    assert session.scalar(select(func.count()).select_from(Refund).where(Refund.dossier_id == dossier.id)) == 1


def test_closed_attempt_paid_after_a_newer_one_is_refunded_through_vnpay(client, session):
    """R-13: the citizen paid an attempt whose IPN was lost, then paid the newer one; querydr finds the
    first, its lines are queued back and the refund job returns them through (the local) VNPay."""
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    session.commit()
    log_in(client, dossier.citizen)

    def pay_in_sandbox(fault: str) -> str:
        url = client.post(f"/payments/dossiers/{dossier.code}/pay").headers["Location"]
        client.get(url)
        txn_ref = dict(parse_qsl(urlsplit(url).query))["vnp_TxnRef"]
        row = session.scalar(select(gateway.SandboxTransaction).where(gateway.SandboxTransaction.txn_ref == txn_ref))
        client.post(f"/payments/sandbox/pay/{row.id}", data={"outcome": "00", "fault": fault})
        return txn_ref

    first_ref = pay_in_sandbox("lost")
    factories.amount_collected(session, dossier, PaymentKind.fee, 20_000)
    session.commit()
    second_ref = pay_in_sandbox("")  # amounts changed: the first attempt is closed, a second one opened
    session.expire_all()
    first = session.scalar(select(Payment).where(Payment.txn_ref == first_ref))
    second = session.scalar(select(Payment).where(Payment.txn_ref == second_ref))
    assert (first.status, second.status, second.fee_vnd) == (PaymentStatus.expired, PaymentStatus.paid, 30_000)
    assert services.query_payment(session, first.id, config=CONFIG, now=datetime.now(timezone.utc),
                                  transport=runtime.local_sandbox_transport) == "paid"
    session.commit()
    queued = {(r.kind, r.amount_vnd) for r in session.scalars(select(Refund).where(Refund.payment_id == first.id))}
    assert queued == {(PaymentKind.fee, 50_000), (PaymentKind.postage, 30_000)}
    assert tasks.send_refunds() == 2
    session.expire_all()
    assert {r.status for r in session.scalars(select(Refund))} == {RefundStatus.completed}
    first = session.get(Payment, first.id)
    assert (first.status, first.refunded_vnd) == (PaymentStatus.refunded, 80_000)
    balance = services.fee_balance(session, session.get(Dossier, dossier.id))
    assert (balance.paid_vnd, balance.settled) == (50_000, True)
