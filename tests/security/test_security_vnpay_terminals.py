"""VNPay terminals: the local sandbox only when switched on and never beside a real terminal, a real
terminal's own secret (never missing, never the public demo one), each payment through its agency's
terminal, and the sandbox sending the browser back to our configured return page only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from payments import runtime, services, terminals
from payments.demo import DEMO_AGENCY_CODE, load_demo_payments
from payments.models import Payment, PaymentStatus, RejectedCallback
from payments.sandbox.models import SandboxTransaction
from payments.settings import DEMO_HASH_SECRET, DEMO_TMN_CODE
from payments.terminal_models import MerchantTerminal
from payments.vnpay import format_vnpay_datetime, sign
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.app import create_app
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.config import Settings, use_settings
from postal_gateway.core.db import bind_engine, db_session
from tests import factories
from tests.conftest import log_in
from tests.payments.test_journey_payment import load_demo
from tests.payments.test_payments import _through_sandbox, level4_dossier

REAL_CODE = "HCM00001"
REAL_SECRET_VARIABLE = "VNPAY_HASH_SECRET_HCM00001"
REAL_SECRET = "a-secret-only-vnpay-and-this-agency-know-0001"
NOW = datetime.now(timezone.utc)


@pytest.fixture()
def make_app(app, database_url, instance_dir, fresh_login_per_request):
    """Another app on the test database, with its own settings; the test app is bound again after."""
    made = []

    def make(**overrides):
        settings = Settings(database_url=database_url, instance_dir=instance_dir, secret_key="test-secret-key",
                            testing=True, log_format="plain", public_base_url="http://testserver", **overrides)
        other = create_app(settings)
        other.config["WTF_CSRF_ENABLED"] = False
        made.append(other)
        return other

    yield make
    for other in made:
        other.extensions["engine"].dispose()
    bind_engine(app.extensions["engine"])
    use_settings(app.config["SETTINGS"])


def real_terminal(session, agency) -> MerchantTerminal:
    terminal = MerchantTerminal(
        agency_id=agency.id, tmn_code=REAL_CODE, sandbox=False, created_at=NOW,
        payment_url="https://pay.vnpay.vn/vpcpay.html", api_url="https://merchant.vnpay.vn/merchant_webapi/api/transaction",
        hash_secret_variable=REAL_SECRET_VARIABLE,
    )
    session.add(terminal)
    session.commit()
    return terminal


def signed_pay_request(*, tmn_code=DEMO_TMN_CODE, return_url="http://testserver/payments/vnpay/return",
                       txn_ref="000.00.20.H10-261130-0001.1") -> dict:
    """A vpcpay.html request signed with the public demo secret, as anyone can make one; dated when it is
    made (not when the module was collected: a long run would otherwise send an expired request)."""
    now = datetime.now(timezone.utc)
    params = {
        "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": tmn_code, "vnp_Amount": "5000000",
        "vnp_CurrCode": "VND", "vnp_TxnRef": txn_ref, "vnp_OrderInfo": "Thanh toan le phi", "vnp_OrderType": "other",
        "vnp_Locale": "vn", "vnp_ReturnUrl": return_url, "vnp_IpAddr": "203.0.113.9",
        "vnp_CreateDate": format_vnpay_datetime(now), "vnp_ExpireDate": format_vnpay_datetime(now + timedelta(minutes=15)),
    }
    params["vnp_SecureHash"] = sign(params, DEMO_HASH_SECRET)
    return params


def ipn_for(payment, *, tmn_code: str, secret: str) -> dict:
    params = {
        "vnp_TmnCode": tmn_code, "vnp_Amount": str(payment.amount_vnd * 100), "vnp_BankCode": "NCB",
        "vnp_PayDate": format_vnpay_datetime(payment.created_at + timedelta(minutes=2)), "vnp_OrderInfo": "Thanh toan",
        "vnp_TransactionNo": "14000999", "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00",
        "vnp_TxnRef": payment.txn_ref,
    }
    params["vnp_SecureHash"] = sign(params, secret)
    return params


# --- the sandbox is a development tool, switched on explicitly ----------------------------------------


def test_sandbox_routes_do_not_exist_unless_switched_on(client, make_app):
    request = "/payments/sandbox/paymentv2/vpcpay.html?" + urlencode(signed_pay_request())
    assert client.get(request).status_code == 200  # the tests switch it on, as `make run` does

    production = make_app(vnpay_sandbox=False).test_client()
    assert production.get(request).status_code == 404
    assert production.post("/payments/sandbox/pay/1", data={"outcome": "00", "fault": ""}).status_code == 404
    assert production.post("/payments/sandbox/deliver").status_code == 404
    assert production.post("/payments/sandbox/merchant_webapi/api/transaction", json={}).status_code == 404
    assert production.get("/payments/sandbox/daily/2026-03-03.csv").status_code == 404
    assert Settings().vnpay_sandbox is False


def test_sandbox_off_by_default_in_the_environment(monkeypatch):
    monkeypatch.delenv("VNPAY_SANDBOX", raising=False)
    assert Settings.from_environment(secret_key="x").vnpay_sandbox is False
    monkeypatch.setenv("VNPAY_SANDBOX", "1")
    assert Settings.from_environment(secret_key="x").vnpay_sandbox is True


def test_app_refuses_to_start_with_the_sandbox_beside_a_real_terminal(session, make_app):
    real_terminal(session, factories.agency(session))
    with pytest.raises(terminals.TerminalMisconfigured, match="VNPAY_SANDBOX is on"):
        make_app(vnpay_sandbox=True, vnpay_hash_secrets={REAL_SECRET_VARIABLE: REAL_SECRET})
    assert make_app(vnpay_sandbox=False, vnpay_hash_secrets={REAL_SECRET_VARIABLE: REAL_SECRET}) is not None


def test_app_refuses_to_start_when_a_real_terminal_has_no_secret_or_the_demo_one(session, make_app):
    real_terminal(session, factories.agency(session))
    with pytest.raises(terminals.TerminalMisconfigured, match=f"{REAL_SECRET_VARIABLE} is not set"):
        make_app(vnpay_sandbox=False, vnpay_hash_secrets={})
    with pytest.raises(terminals.TerminalMisconfigured, match=f"{REAL_SECRET_VARIABLE} holds the public demo secret"):
        make_app(vnpay_sandbox=False, vnpay_hash_secrets={REAL_SECRET_VARIABLE: DEMO_HASH_SECRET})


def test_app_refuses_to_start_on_the_retired_single_terminal_variables(make_app, monkeypatch):
    """Earlier versions read one terminal from VNPAY_TMN_CODE (and fell back to the demo secret):
    such a deployment stops with a message naming the variable instead of running on as before."""
    monkeypatch.setenv("VNPAY_TMN_CODE", REAL_CODE)
    retired = Settings.from_environment(secret_key="x").vnpay_retired_variables
    assert retired == ("VNPAY_TMN_CODE",)
    with pytest.raises(terminals.TerminalMisconfigured, match="VNPAY_TMN_CODE is no longer read"):
        make_app(vnpay_sandbox=False, vnpay_retired_variables=retired)


def test_a_new_real_terminal_is_refused_unless_usable_now(session):
    agency = factories.agency(session)
    settings = Settings(secret_key="x", vnpay_sandbox=False, vnpay_hash_secrets={})
    with pytest.raises(terminals.TerminalMisconfigured, match=REAL_SECRET_VARIABLE):
        terminals.register_terminal(session, settings, agency=agency, tmn_code=REAL_CODE, now=NOW,
                                    payment_url="https://pay.vnpay.vn/vpcpay.html", api_url="https://merchant.vnpay.vn/api")
    settings.vnpay_hash_secrets = {REAL_SECRET_VARIABLE: REAL_SECRET}
    terminal = terminals.register_terminal(session, settings, agency=agency, tmn_code=REAL_CODE, now=NOW,
                                           payment_url="https://pay.vnpay.vn/vpcpay.html", api_url="https://merchant.vnpay.vn/api")
    assert (terminal.hash_secret_variable, terminal.sandbox) == (REAL_SECRET_VARIABLE, False)
    assert REAL_SECRET not in repr(terminals.terminal_config(settings, terminal))


# --- each payment through its agency's terminal --------------------------------------------------------


def test_ipn_signed_with_the_demo_secret_never_settles_a_real_terminals_payment(session, make_app):
    dossier = level4_dossier(session)
    real_terminal(session, dossier.agency)
    production = make_app(vnpay_sandbox=False, vnpay_hash_secrets={REAL_SECRET_VARIABLE: REAL_SECRET})
    with production.app_context():
        vnpay = runtime.config_for_agency(session, dossier.agency_id)
        payment, url = services.start_payment(session, dossier=dossier, citizen_id=dossier.citizen_id,
                                              ip_address="203.0.113.9", config=vnpay, now=NOW)
        session.commit()
        query = dict(parse_qsl(urlsplit(url).query))
        assert url.startswith("https://pay.vnpay.vn/vpcpay.html?") and query["vnp_TmnCode"] == REAL_CODE
        assert query["vnp_ReturnUrl"] == "http://testserver/payments/vnpay/return"

        for forged in (ipn_for(payment, tmn_code=REAL_CODE, secret=DEMO_HASH_SECRET),
                       ipn_for(payment, tmn_code=DEMO_TMN_CODE, secret=DEMO_HASH_SECRET)):
            assert runtime.process_ipn(forged)["RspCode"] == "97"
        session.expire_all()
        assert session.get(Payment, payment.id).status == PaymentStatus.pending
        assert runtime.process_ipn(ipn_for(payment, tmn_code=REAL_CODE, secret=REAL_SECRET))["RspCode"] == "00"
    session.close()  # the other app's context ended this request-scoped session; look again in a new one
    session = db_session()
    assert session.get(Payment, payment.id).status == PaymentStatus.paid
    assert session.scalar(select(func.count()).select_from(RejectedCallback).where(RejectedCallback.code == "97")) == 2


def test_without_the_sandbox_an_agency_with_no_terminal_takes_no_online_payment(session, make_app):
    dossier = level4_dossier(session)
    citizen, code = dossier.citizen, dossier.code
    session.commit()
    session.close()  # each request of the other app ends the request-scoped session
    production = make_app(vnpay_sandbox=False).test_client()
    log_in(production, citizen.id_number)
    answer = production.post(f"/payments/dossiers/{code}/pay")
    assert answer.status_code == 409 and "tại quầy" in answer.get_data(as_text=True)
    assert db_session().scalar(select(func.count()).select_from(Payment)) == 0


def test_demo_terminal_of_an_agency_is_used_for_its_payments_and_callbacks(client, session):
    dossier = level4_dossier(session)
    session.add(MerchantTerminal(agency_id=dossier.agency_id, tmn_code="BPDEMO02", sandbox=True, created_at=NOW))
    session.commit()
    log_in(client, dossier.citizen)
    url = client.post(f"/payments/dossiers/{dossier.code}/pay").headers["Location"]
    assert dict(parse_qsl(urlsplit(url).query))["vnp_TmnCode"] == "BPDEMO02"
    page = client.get(url[len("http://testserver"):])
    assert page.status_code == 200
    payment = session.scalar(select(Payment).where(Payment.dossier_id == dossier.id))
    # a callback naming the shared demo terminal is not this agency's terminal
    assert runtime.process_ipn(ipn_for(payment, tmn_code=DEMO_TMN_CODE, secret=DEMO_HASH_SECRET))["RspCode"] == "97"
    assert runtime.process_ipn(ipn_for(payment, tmn_code="BPDEMO02", secret=DEMO_HASH_SECRET))["RspCode"] == "00"


def test_sandbox_sends_the_browser_back_to_our_return_page_never_the_requests(client, session):
    request = signed_pay_request(return_url="https://attacker.example/collect")
    assert client.get("/payments/sandbox/paymentv2/vpcpay.html?" + urlencode(request)).status_code == 200

    row = session.scalar(select(SandboxTransaction).where(SandboxTransaction.txn_ref == request["vnp_TxnRef"]))
    back = client.post(f"/payments/sandbox/pay/{row.id}", data={"outcome": "00", "fault": "lost"})
    assert back.status_code == 303
    assert back.headers["Location"].startswith("http://testserver/payments/vnpay/return?")


# --- the sandbox's daily file --------------------------------------------------------------------------


def test_sandbox_daily_file_needs_a_staff_session_or_token_and_shows_only_the_agencys_rows(client, session):
    ours = level4_dossier(session)
    theirs = level4_dossier(session)
    staff = factories.user(session, Role.agency_staff, agency_id=ours.agency_id)
    session.commit()
    paid_here = _through_sandbox(client, session, ours)
    paid_there = _through_sandbox(client, session, theirs)
    day = paid_here.pay_date.astimezone(timezone(timedelta(hours=7))).date()
    address = f"/payments/sandbox/daily/{day}.csv"

    client.post("/logout")
    anonymous = client.get(address)
    assert anonymous.status_code in (302, 401) and paid_here.txn_ref not in anonymous.get_data(as_text=True)
    log_in(client, ours.citizen)
    assert client.get(address).status_code == 403
    client.post("/logout")

    log_in(client, staff)
    csv_text = client.get(address).get_data(as_text=True)
    assert paid_here.txn_ref in csv_text and paid_there.txn_ref not in csv_text
    client.post("/logout")

    raw, _token = issue_token(session, staff)
    session.commit()
    by_token = client.get(address, headers={"Authorization": f"Bearer {raw}"})
    assert by_token.status_code == 200 and paid_here.txn_ref in by_token.get_data(as_text=True)


@pytest.mark.slow
def test_demo_loader_gives_the_demo_agency_the_sandbox_demo_terminal(session):
    load_demo(session)
    load_demo_payments(session)  # again: still one terminal
    session.commit()
    agency = session.scalar(select(Agency).where(Agency.code == DEMO_AGENCY_CODE))
    terminal = session.scalar(select(MerchantTerminal).where(MerchantTerminal.agency_id == agency.id))
    assert (terminal.tmn_code, terminal.sandbox, terminal.hash_secret_variable) == (DEMO_TMN_CODE, True, "")
    assert runtime.config_for_agency(session, agency.id).tmn_code == DEMO_TMN_CODE


def test_which_terminal_an_agency_is_paid_through_under_each_setting(session):
    """A terminal added after start is held to the same rules each time it is used."""
    plain, demo, real = factories.agency(session), factories.agency(session), factories.agency(session)
    session.add(MerchantTerminal(agency_id=demo.id, tmn_code="BPDEMO03", sandbox=True, created_at=NOW))
    real_terminal(session, real)
    secrets = {REAL_SECRET_VARIABLE: REAL_SECRET}

    def code(agency, **settings):
        config = terminals.config_for_agency(session, Settings(secret_key="x", **settings), agency.id)
        return config.tmn_code if config is not None else None

    assert [code(agency, vnpay_sandbox=True, vnpay_hash_secrets=secrets) for agency in (plain, demo, real)] == [
        DEMO_TMN_CODE, "BPDEMO03", None]  # never a real terminal beside the sandbox
    assert [code(agency, vnpay_sandbox=False, vnpay_hash_secrets=secrets) for agency in (plain, demo, real)] == [
        None, None, REAL_CODE]  # no demo terminal without the sandbox
    assert code(real, vnpay_sandbox=False, vnpay_hash_secrets={REAL_SECRET_VARIABLE: DEMO_HASH_SECRET}) is None
    assert code(real, vnpay_sandbox=False, vnpay_hash_secrets={}) is None
