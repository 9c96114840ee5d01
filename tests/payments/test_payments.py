"""Online payment of a level-4 dossier through the local sandbox: end to end, IPN codes, races, querydr."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select

from payments import runtime, services
from payments.models import Payment, PaymentStatus, RejectedCallback
from payments.sandbox import gateway
from payments.settings import DEMO_HASH_SECRET, DEMO_TMN_CODE, demo_config
from payments.vnpay import format_vnpay_datetime, sign
from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import Conflict, Forbidden
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, DossierStatus, PaymentKind
from tests import factories
from tests.conftest import log_in

CONFIG = demo_config("http://testserver")


def level4_dossier(session, **fields):
    citizen = fields.pop("citizen", None) or factories.user(session, Role.citizen)
    agency = factories.agency(session)
    procedure = factories.procedure(session, agency, level=4, fee_vnd=fields.pop("fee_vnd", 50_000))
    return factories.postal_dossier(session, citizen=citizen, procedure=procedure, **fields)


def ipn_params(payment, *, response="00", status="00", amount=None, pay_date=None, **extra):
    params = {
        "vnp_TmnCode": DEMO_TMN_CODE, "vnp_Amount": str((amount or payment.amount_vnd) * 100), "vnp_BankCode": "NCB",
        "vnp_PayDate": format_vnpay_datetime(pay_date or payment.created_at + timedelta(minutes=2)),
        "vnp_OrderInfo": "Thanh toan", "vnp_TransactionNo": "14000999", "vnp_ResponseCode": response,
        "vnp_TransactionStatus": status, "vnp_TxnRef": payment.txn_ref, **extra,
    }
    params["vnp_SecureHash"] = sign(params, DEMO_HASH_SECRET)
    return params


def new_payment(session, dossier, now=None):
    payment, _url = services.start_payment(session, dossier=dossier, citizen_id=dossier.citizen_id,
                                           ip_address="203.0.113.9", config=CONFIG, now=now or datetime.now(timezone.utc))
    session.commit()
    return payment


def test_fee_balance_counts_every_method_and_blocks_completion(session):
    dossier = level4_dossier(session, fee_vnd=50_000)
    assert services.fee_balance(session, dossier) == services.FeeBalance(50_000, 0, 0)
    assert services.completion_blocked(session, dossier)
    factories.amount_collected(session, dossier, PaymentKind.fee, 50_000)
    factories.amount_collected(session, dossier, PaymentKind.postage, 30_000)
    session.flush()
    balance = services.fee_balance(session, dossier)
    assert (balance.paid_vnd, balance.due_vnd, balance.settled) == (50_000, 0, True)
    assert not services.completion_blocked(session, dossier)


def test_citizen_pays_end_to_end_in_the_local_sandbox(client, session):
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    session.commit()
    log_in(client, dossier.citizen)
    page = client.get(f"/payments/dossiers/{dossier.code}")
    assert page.status_code == 200 and "Thanh toán lệ phí" in page.get_data(as_text=True)
    to_gateway = client.post(f"/payments/dossiers/{dossier.code}/pay")
    assert to_gateway.status_code == 303
    url = to_gateway.headers["Location"]
    assert url.startswith("http://testserver/payments/sandbox/paymentv2/vpcpay.html?")
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["vnp_Amount"] == "8000000" and query["vnp_TmnCode"] == DEMO_TMN_CODE
    # a double tap gives the same attempt
    assert client.post(f"/payments/dossiers/{dossier.code}/pay").headers["Location"] == url
    pay_page = client.get(url)
    assert pay_page.status_code == 200
    row = session.scalar(select(gateway.SandboxTransaction).where(gateway.SandboxTransaction.txn_ref == query["vnp_TxnRef"]))
    back = client.post(f"/payments/sandbox/pay/{row.id}", data={"outcome": "00", "fault": ""})
    assert back.status_code == 303 and back.headers["Location"].startswith("http://testserver/payments/vnpay/return?")
    shown = client.get(back.headers["Location"])
    assert shown.status_code == 200 and "Đã thanh toán" in shown.get_data(as_text=True)
    session.expire_all()
    payment = session.scalar(select(Payment).where(Payment.dossier_id == dossier.id))
    assert payment.status == PaymentStatus.paid and payment.settled_via == "ipn"
    amounts = {(a.kind, a.method, a.amount_vnd) for a in session.scalars(select(CollectedAmount).where(CollectedAmount.dossier_id == dossier.id))}
    assert amounts == {(PaymentKind.fee, CollectionMethod.online, 50_000), (PaymentKind.postage, CollectionMethod.online, 30_000)}
    assert services.fee_balance(session, dossier).settled
    assert session.scalar(select(func.count()).select_from(IntegrationEvent).where(IntegrationEvent.event_type == "payment.settled")) == 1


def test_amounts_come_from_the_server_and_only_level_4_pays_online(session):
    dossier = level4_dossier(session, fee_vnd=70_000, postage_vnd=0)
    payment = new_payment(session, dossier)
    assert (payment.fee_vnd, payment.postage_vnd, payment.amount_vnd) == (70_000, 0, 70_000)
    other = factories.user(session, Role.citizen)
    with pytest.raises(services.NotFound):
        services.start_payment(session, dossier=dossier, citizen_id=other.id, ip_address="203.0.113.9", config=CONFIG,
                               now=datetime.now(timezone.utc))
    agency = factories.agency(session)
    level3 = factories.postal_dossier(session, procedure=factories.procedure(session, agency, level=3))
    with pytest.raises(Forbidden):
        services.start_payment(session, dossier=level3, citizen_id=level3.citizen_id, ip_address="203.0.113.9",
                               config=CONFIG, now=datetime.now(timezone.utc))


def test_return_url_changes_nothing_and_a_forged_one_is_refused(client, session):
    dossier = level4_dossier(session)
    payment = new_payment(session, dossier)
    assert client.get("/payments/vnpay/return", query_string=ipn_params(payment)).status_code == 200
    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.pending
    forged = {**ipn_params(payment), "vnp_Amount": "100"}
    assert client.get("/payments/vnpay/return", query_string=forged).status_code == 400
    assert session.scalar(select(RejectedCallback.source).order_by(RejectedCallback.id.desc()).limit(1)) == "return"


def test_ipn_codes_are_checked_in_vnpays_order(client, session):
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    payment = new_payment(session, dossier)

    def ipn(params):
        response = client.get("/payments/vnpay/ipn", query_string=params)
        assert response.status_code == 200 and response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"RspCode", "Message"}
        return body["RspCode"]

    unknown_and_forged = {**ipn_params(payment, vnp_TxnRef="NOPE.1"), "vnp_TxnRef": "NOPE.1"}
    unknown_and_forged["vnp_SecureHash"] = "0" * 128
    assert ipn(unknown_and_forged) == "97"  # signature first, before the lookup
    assert ipn({}) == "97"
    unknown = ipn_params(payment, amount=1)
    unknown = {key: value for key, value in unknown.items() if key != "vnp_SecureHash"}
    unknown["vnp_TxnRef"] = "NOPE.1"
    unknown["vnp_SecureHash"] = sign(unknown, DEMO_HASH_SECRET)
    assert ipn(unknown) == "01"  # unknown before amount
    assert ipn(ipn_params(payment, amount=80_001)) == "04"
    assert ipn(ipn_params(payment)) == "00"
    assert ipn(ipn_params(payment)) == "02"  # replay
    assert ipn(ipn_params(payment, amount=1)) == "04"  # amount before "already confirmed"
    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.paid
    codes = [row.code for row in session.scalars(select(RejectedCallback).order_by(RejectedCallback.id))]
    assert codes == ["97", "97", "01", "04", "02", "04"]
    assert all(DEMO_HASH_SECRET not in str(row.params) for row in session.scalars(select(RejectedCallback)))


def test_failure_needs_both_codes_and_failed_payment_collects_nothing(client, session):
    dossier = level4_dossier(session)
    payment = new_payment(session, dossier)
    assert client.get("/payments/vnpay/ipn", query_string=ipn_params(payment, response="00", status="02")).get_json()["RspCode"] == "00"
    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.failed
    assert services.fee_balance(session, dossier).paid_vnd == 0
    # the citizen may try again: a new attempt with a new vnp_TxnRef
    again = new_payment(session, dossier)
    assert again.txn_ref != payment.txn_ref and again.attempt == 2


@pytest.mark.commits  # threads on their own connections
def test_concurrent_duplicate_ipns_settle_exactly_once(session):
    dossier = level4_dossier(session, fee_vnd=50_000, postage_vnd=30_000)
    payment = new_payment(session, dossier)
    params = ipn_params(payment)
    answers, barrier = [], threading.Barrier(8)

    def call():
        barrier.wait()
        answers.append(runtime.process_ipn(dict(params))["RspCode"])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == ["00"] + ["02"] * 7
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CollectedAmount).where(CollectedAmount.dossier_id == dossier.id)) == 2
    assert session.scalar(select(func.count()).select_from(IntegrationEvent).where(IntegrationEvent.event_type == "payment.settled")) == 1


def _through_sandbox(client, session, dossier, *, outcome="00", fault=""):
    log_in(client, dossier.citizen)
    url = client.post(f"/payments/dossiers/{dossier.code}/pay").headers["Location"]
    client.get(url)
    txn_ref = dict(parse_qsl(urlsplit(url).query))["vnp_TxnRef"]
    row = session.scalar(select(gateway.SandboxTransaction).where(gateway.SandboxTransaction.txn_ref == txn_ref))
    client.post(f"/payments/sandbox/pay/{row.id}", data={"outcome": outcome, "fault": fault})
    session.expire_all()
    return session.scalar(select(Payment).where(Payment.txn_ref == txn_ref))


def test_lost_ipn_is_recovered_by_querydr_after_expiry(client, session):
    dossier = level4_dossier(session)
    session.commit()
    payment = _through_sandbox(client, session, dossier, fault="lost")
    assert payment.status == PaymentStatus.pending
    early = services.payments_to_query(session, now=payment.expires_at)
    assert early == []  # a slow IPN gets its grace period first
    later = payment.expires_at + timedelta(minutes=6)
    assert services.payments_to_query(session, now=later) == [payment.id]
    outcome = services.query_payment(session, payment.id, config=CONFIG, now=later, transport=runtime.local_sandbox_transport)
    session.commit()
    assert outcome == "paid"
    session.expire_all()
    payment = session.get(Payment, payment.id)
    assert payment.status == PaymentStatus.paid and payment.settled_via == "querydr" and payment.transaction_no
    assert services.fee_balance(session, dossier).settled


def test_unpaid_attempt_past_expiry_becomes_expired_or_failed(client, session):
    dossier = level4_dossier(session)
    never_opened = new_payment(session, dossier)
    later = never_opened.expires_at + timedelta(minutes=6)
    assert services.query_payment(session, never_opened.id, config=CONFIG, now=later, transport=runtime.local_sandbox_transport) == "expired"
    session.commit()
    cancelled = _through_sandbox(client, session, dossier, outcome="24")
    assert cancelled.status == PaymentStatus.failed and cancelled.response_code == "24"


def test_retried_and_duplicated_ipns_from_the_sandbox_settle_once(client, session):
    dossier = level4_dossier(session)
    session.commit()
    payment = _through_sandbox(client, session, dossier, fault="retried")
    assert payment.status == PaymentStatus.paid
    deliveries = list(session.scalars(select(gateway.SandboxIpnDelivery)))
    assert deliveries[0].delivered_at is None and deliveries[0].attempts == 1
    for minutes in (5, 10):
        runtime.deliver_sandbox_ipns(now=datetime.now(timezone.utc) + timedelta(minutes=minutes))
    session.expire_all()
    delivery = session.get(gateway.SandboxIpnDelivery, deliveries[0].id)
    assert delivery.delivered_at is not None and delivery.last_answer.startswith("02")
    dossier2 = level4_dossier(session)
    session.commit()
    twice = _through_sandbox(client, session, dossier2, fault="duplicate")
    assert twice.status == PaymentStatus.paid
    assert session.scalar(select(func.count()).select_from(CollectedAmount).where(CollectedAmount.dossier_id == dossier2.id)) == 2


def test_reordered_ipn_arrives_after_the_browser(client, session):
    dossier = level4_dossier(session)
    session.commit()
    payment = _through_sandbox(client, session, dossier, fault="reordered")
    assert payment.status == PaymentStatus.pending
    assert client.post("/payments/sandbox/deliver").get_json()["calls"] == 1
    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.paid


def test_payment_dates_are_gmt7_whatever_the_clock(session):
    dossier = level4_dossier(session)
    late_evening_utc = datetime(2026, 3, 2, 20, 30, tzinfo=timezone.utc)  # 03:30 on 3 March in Vietnam
    payment, url = services.start_payment(session, dossier=dossier, citizen_id=dossier.citizen_id,
                                          ip_address="203.0.113.9", config=CONFIG, now=late_evening_utc)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["vnp_CreateDate"] == "20260303033000" and query["vnp_ExpireDate"] == "20260303034500"


def test_closed_dossier_cannot_be_paid(session):
    dossier = level4_dossier(session, status=DossierStatus.withdrawn)
    with pytest.raises(Conflict):
        new_payment(session, dossier)
