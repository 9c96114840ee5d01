"""Zalo notices (ZNS) against the local sandbox: every template, the token refresh, Zalo's error codes mapped to
retry or give up, the SMS that stands in for a legal notice (Điều 8.2, 12.1.b–c, 9.4.d), Zalo's field limits, and
the outbox id as the idempotency key (tracking_id)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from postal_gateway.core.db import SessionFactory, utcnow
from postal_gateway.notifications import adapters, service, zalo
from postal_gateway.notifications.models import MessageChannel, MessageStatus, OutboxMessage
from postal_gateway.notifications.zalo_models import ZaloToken
from postal_gateway.notifications.zalo_sandbox import gateway
from postal_gateway.notifications.zalo_sandbox.models import SandboxZaloMessage
from tests import factories

LOOKUP = "http://testserver/lookup?code=000.00.20.H10-261201-0001"
CODE = "000.00.20.H10-261201-0001"
#: a context for each template that has a ZNS (the keys its SMS wording needs, too)
CONTEXTS = {
    "dossier_submitted": {"shipment_number": "RA000000017VN", "procedure_name": "Cấp phép", "agency_name": "Sở TT&TT",
                          "at": "09:00 01/12/2026", "lookup_url": LOOKUP},
    "dossier_received": {"code": CODE, "agency_name": "Sở Thông tin và Truyền thông tỉnh Bình Phước",
                         "procedure_name": "Cấp phép", "received_at": "09:00 01/12/2026",
                         "appointment_date": "15/12/2026", "form_url": LOOKUP, "lookup_url": LOOKUP},
    "completion_requested": {"shipment_number": "RA000000017VN", "agency_name": "Sở TT&TT", "items": "Bản sao CCCD",
                             "reasons": "Thiếu", "form_url": LOOKUP, "lookup_url": LOOKUP},
    "supplement_requested": {"code": CODE, "reasons": "Bản sao giấy phép có chứng thực", "lookup_url": LOOKUP},
    "apology": {"code": CODE, "reason": "Chờ ý kiến phối hợp", "new_date": "20/12/2026", "agency_name": "Sở TT&TT",
                "issuer_name": "Công an tỉnh", "form_url": LOOKUP, "lookup_url": LOOKUP},
    "result_ready": {"code": CODE, "procedure_name": "Cấp phép", "returned_by": "Bưu chính phát.",
                     "lookup_url": LOOKUP},
    "delivery_scheduled": {"code": CODE, "date": "16/12/2026", "place": "12 Trần Hưng Đạo, Đồng Xoài",
                           "lookup_url": LOOKUP},
    "result_delivered": {"code": CODE, "at": "10:00 16/12/2026", "lookup_url": LOOKUP},
    "fee_due": {"ref": CODE, "amount": "150.000 ₫", "pay_url": "http://testserver/payments/dossiers/X",
                "lookup_url": LOOKUP},
}


@pytest.fixture()
def api(app):
    """The ZNS client of the sandbox app, answered in-process by the sandbox (no HTTP under test)."""
    return zalo.api_for(app.config["SETTINGS"], transport=gateway.in_process_transport(SessionFactory))


@pytest.fixture()
def adapter(app, api):
    router = adapters.ChannelRouter(zalo=zalo.ZaloAdapter(api, app.config["SETTINGS"]))
    service.configure_adapter(router)
    yield router
    service.configure_adapter(None)


def _citizen(session, *, zalo_on=True, sms=True, **fields):
    citizen = factories.user(session, **fields)
    service.set_preferences(session, citizen.id, sms=sms, email=True, zalo=zalo_on)
    return citizen


def _send(session, citizen, template, context=None):
    return service.send(session, channel="sms", recipient=citizen.phone, template=template,
                        context=context or CONTEXTS[template], user_id=citizen.id)


def _zns(session):
    return session.scalars(select(SandboxZaloMessage).where(SandboxZaloMessage.kind == "zns")
                           .order_by(SandboxZaloMessage.id)).all()


def _fault(session, name, times=1):
    gateway.set_fault(session, name, times)
    session.flush()


@pytest.mark.parametrize("template", sorted(zalo.ZNS_TEMPLATES))
def test_every_template_reaches_the_sandbox_as_a_zns(session, adapter, template):
    citizen = _citizen(session)
    message = _send(session, citizen, template)
    assert message.channel == MessageChannel.zalo and message.status == MessageStatus.queued
    assert service.deliver(session, message.id).result == "sent"
    [received] = _zns(session)
    zns = zalo.ZNS_TEMPLATES[template]
    assert received.template_id == f"sandbox-{zns.key}"
    assert received.recipient == zalo.zns_phone(citizen.phone) and received.recipient.startswith("84")
    assert received.tracking_id == adapters.idempotency_key(message) == f"outbox-{message.id}"
    assert set(received.template_data) == {name for name, _kind, _source in zns.fields}
    assert "<" not in received.text  # every parameter filled
    assert message.gateway_reference == received.msg_id


def test_a_citizen_who_did_not_choose_zalo_gets_the_sms(session, adapter):
    citizen = _citizen(session, zalo_on=False)
    message = _send(session, citizen, "result_ready")
    assert message.channel == MessageChannel.sms and message.template_data is None


def test_messages_without_a_zns_template_stay_sms(session, adapter):
    citizen = _citizen(session)
    message = service.send(session, channel="sms", recipient=citizen.phone, template="dossier_rejected",
                           context={"code": CODE, "reasons": "Không đủ điều kiện", "lookup_url": LOOKUP},
                           user_id=citizen.id)
    assert message.channel == MessageChannel.sms


def test_the_first_send_refreshes_the_token_and_keeps_the_rotated_refresh_token(session, adapter):
    citizen = _citizen(session)
    message = _send(session, citizen, "result_ready")
    assert service.deliver(session, message.id).result == "sent"
    token = session.scalar(select(ZaloToken))
    sandbox = gateway.state(session)
    assert token.access_token == sandbox.access_token and token.access_token.startswith("sbx-at-")
    # Zalo spends a refresh token once: ours is the new one, the first is no longer accepted
    assert token.refresh_token == sandbox.refresh_token != zalo.SANDBOX_FIRST_REFRESH_TOKEN
    assert token.expires_at - utcnow() > timedelta(hours=24)


def test_token_expired_is_refreshed_and_the_message_sent_once(session, adapter):
    citizen = _citizen(session)
    first = _send(session, citizen, "result_ready")
    service.deliver(session, first.id)
    before = session.scalar(select(ZaloToken)).access_token
    _fault(session, "token_expired")
    second = _send(session, citizen, "result_delivered")
    assert service.deliver(session, second.id).result == "sent"
    assert session.scalar(select(ZaloToken)).access_token != before
    assert [row.tracking_id for row in _zns(session)] == [f"outbox-{first.id}", f"outbox-{second.id}"]


def test_the_beat_refreshes_a_token_close_to_its_end_only(session, api):
    assert api.refresh_if_due() is True  # none yet
    assert api.refresh_if_due() is False  # fresh for 25 hours
    token = session.scalar(select(ZaloToken))
    token.expires_at = utcnow() + timedelta(minutes=30)
    session.flush()
    assert api.refresh_if_due() is True


def test_a_spent_refresh_token_is_refused_and_recorded(session, api):
    api.refresh_if_due()
    token = session.scalar(select(ZaloToken))
    token.refresh_token, token.expires_at = zalo.SANDBOX_FIRST_REFRESH_TOKEN, None  # replaying the spent one
    session.flush()
    with pytest.raises(adapters.DeliveryError, match="-14014"):
        api.refresh_if_due()
    session.expire_all()
    assert "-14014" in session.scalar(select(ZaloToken)).last_error


@pytest.mark.parametrize(("fault", "code"), [("quota", -144), ("template_not_approved", -131), ("no_zalo", -118)])
def test_a_legal_notice_zalo_refuses_goes_by_sms__dieu_8_2(session, adapter, fault, code):
    """Điều 8.2, 12.1.c: a supplement request Zalo will not deliver is sent by SMS, once."""
    citizen = _citizen(session, sms=False)  # even with SMS turned off: the citizen must be told
    message = _send(session, citizen, "supplement_requested")
    _fault(session, fault)
    assert service.deliver(session, message.id).result == "failed"
    assert str(code) in message.last_error
    stand_in = session.scalar(select(OutboxMessage).where(OutboxMessage.fallback_for_id == message.id))
    assert stand_in.channel == MessageChannel.sms and stand_in.status == MessageStatus.queued
    assert stand_in.recipient == citizen.phone and CODE in stand_in.body
    assert stand_in.body.isascii()  # folded for the GSM alphabet like every SMS
    # handled again (a redelivered task): no second stand-in, nothing sent again
    assert service.deliver(session, message.id).result == "done_already"
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.fallback_for_id == message.id)).all() == [stand_in]
    assert _zns(session) == []


def test_an_ordinary_notice_zalo_refuses_goes_by_sms_only_if_sms_is_on(session, adapter):
    with_sms, without = _citizen(session, sms=True), _citizen(session, sms=False)
    for citizen, expected in ((with_sms, 1), (without, 0)):
        message = _send(session, citizen, "result_ready")
        _fault(session, "no_zalo")
        assert service.deliver(session, message.id).result == "failed"
        stand_ins = session.scalars(select(OutboxMessage).where(OutboxMessage.fallback_for_id == message.id)).all()
        assert len(stand_ins) == expected


def test_a_lost_answer_is_retried_with_the_same_tracking_id(session, adapter):
    """At least once: the sandbox accepted the message but its answer was lost; the retry carries the same
    tracking_id, so the repeat is visible on Zalo's side (the sandbox marks it)."""
    citizen = _citizen(session)
    message = _send(session, citizen, "result_ready")
    _fault(session, "lost_answer")
    outcome = service.deliver(session, message.id)
    assert outcome.result == "retry" and "504" in message.last_error
    message.next_attempt_at = None
    assert service.deliver(session, message.id).result == "sent"
    first, repeat = _zns(session)
    assert first.tracking_id == repeat.tracking_id == f"outbox-{message.id}"
    assert repeat.repeat_of == 1
    assert service.deliver(session, message.id).result == "done_already"
    assert len(_zns(session)) == 2


def test_an_unknown_or_transient_error_is_retried_then_given_up_with_the_sms(session, app):
    calls = []

    def broken(url, headers, body, timeout):
        calls.append(url)
        if url.endswith("access_token"):
            return gateway.in_process_transport(SessionFactory)(url, headers, body, timeout)
        return 502, b""

    api = zalo.api_for(app.config["SETTINGS"], transport=broken)
    router = adapters.ChannelRouter(zalo=zalo.ZaloAdapter(api, app.config["SETTINGS"]))
    citizen = _citizen(session)
    message = _send(session, citizen, "apology")
    for attempt in range(1, service.MAX_ATTEMPTS + 1):
        message.next_attempt_at = None
        outcome = service.deliver(session, message.id, adapter=router)
        assert outcome.result == ("failed" if attempt == service.MAX_ATTEMPTS else "retry")
    assert "HTTP 502" in message.last_error
    assert session.scalar(select(OutboxMessage).where(OutboxMessage.fallback_for_id == message.id)) is not None


@pytest.mark.parametrize(("code", "action"), [(-124, zalo.REFRESH), (-144, zalo.QUOTA), (-115, zalo.QUOTA),
                                              (-131, zalo.GIVE_UP), (-118, zalo.NO_ZALO), (-100, zalo.RETRY),
                                              (-133, zalo.RETRY)])
def test_zalo_error_codes_are_mapped(code, action):
    assert zalo.ZNS_ERRORS[code][0] == action


def test_template_data_is_shortened_or_refused_at_zalos_limits():
    assert zalo.fit("co_quan", "name", "Nguyễn Thị Minh Khai Phương Thảo Ngọc Anh") == \
        "Nguyễn Thị Minh Khai Phương T…"
    assert len(zalo.fit("co_quan", "name", "x" * 31)) == 30
    assert zalo.fit("ma", "code", "x" * 30) == "x" * 30
    with pytest.raises(zalo.TemplateDataRefused):
        zalo.fit("ma", "code", "x" * 31)
    with pytest.raises(zalo.TemplateDataRefused):
        zalo.fit("so_tien", "amount", "1" * 21)


def test_a_code_too_long_for_zalo_goes_by_sms_with_a_note(session, adapter):
    citizen = _citizen(session)
    message = _send(session, citizen, "result_ready", {**CONTEXTS["result_ready"], "code": "X" * 31})
    assert message.channel == MessageChannel.sms and "30" in message.last_error


def test_a_long_agency_name_is_shortened_and_the_sandbox_accepts_it(session, adapter):
    citizen = _citizen(session)
    message = _send(session, citizen, "dossier_received")
    assert len(message.template_data["co_quan"]) <= 200
    service.deliver(session, message.id)
    assert _zns(session)[0].template_data["ma_ho_so"] == CODE


def test_the_outbox_id_is_the_idempotency_key(session):
    citizen = _citizen(session, zalo_on=False)
    one, two = _send(session, citizen, "result_ready"), _send(session, citizen, "result_ready")
    assert adapters.idempotency_key(one) == adapters.idempotency_key(one) != adapters.idempotency_key(two)


def test_a_stand_in_sms_is_unique_per_zalo_message_in_the_database(session, adapter):
    from sqlalchemy.exc import IntegrityError

    citizen = _citizen(session)
    message = _send(session, citizen, "apology")
    _fault(session, "no_zalo")
    service.deliver(session, message.id)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(OutboxMessage(channel=MessageChannel.sms, recipient=citizen.phone, template="apology", body="x",
                                  fallback_for_id=message.id))
        session.flush()


def test_the_sandbox_refuses_data_beyond_the_limits_as_zalo_does(session):
    template = zalo.ZNS_TEMPLATES["result_ready"]
    assert gateway._data_problem(template, {"ma_ho_so": "x" * 31, "thu_tuc": "a", "tra_cuu": "u"})
    assert gateway._data_problem(template, {"ma_ho_so": "x"}) == "thu_tuc missing"


def test_preferences_offer_zalo_and_keep_it(session, client):
    from tests.conftest import log_in

    citizen = factories.user(session)
    session.commit()
    log_in(client, citizen)
    page = client.get("/my/notifications").get_data(as_text=True)
    assert 'value="zalo"' in page
    client.post("/my/notifications", data={"channel": ["sms", "zalo"], "kind": list(service.CITIZEN_MESSAGE_KINDS)})
    assert service.preferences_of(session, citizen.id).zalo is True


def test_the_sandbox_phone_page_shows_the_notice(session, client, adapter):
    citizen = _citizen(session)
    service.deliver(session, _send(session, citizen, "dossier_received").id)
    session.commit()
    page = client.get(f"/zalo/sandbox/?phone={citizen.phone}").get_data(as_text=True)
    assert CODE in page and "15/12/2026" in page


def test_the_sandbox_is_refused_beside_a_real_app(app):
    from dataclasses import replace

    with pytest.raises(ValueError, match="ZALO_SANDBOX"):
        zalo.check_zalo_settings(replace(app.config["SETTINGS"], zalo_app_id="123", zalo_app_secret="s",
                                         zalo_oa_secret_key="k"))


def test_a_received_level_4_dossier_with_its_fee_unpaid_sends_the_pay_link_by_zalo(session, adapter):
    """R-13: the citizen is told the lệ phí is still due, with the link to pay it online."""
    from postal_gateway.notifications import fee_notices

    citizen = _citizen(session)
    agency = factories.agency(session)
    owing = factories.postal_dossier(session, citizen=citizen,
                                     procedure=factories.procedure(session, agency, level=4, fee_vnd=150_000))
    level3 = factories.postal_dossier(session, citizen=citizen,
                                      procedure=factories.procedure(session, agency, level=3, fee_vnd=50_000))
    session.flush()
    assert fee_notices.notify_fee_due(session, level3, now=utcnow(), public_base_url="http://testserver") is False
    assert fee_notices.notify_fee_due(session, owing, now=utcnow(), public_base_url="http://testserver") is True
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.template == "fee_due",
                                                         OutboxMessage.channel == MessageChannel.zalo))
    assert service.deliver(session, message.id).result == "sent"
    [received] = _zns(session)
    assert received.template_id == "sandbox-fee_due"
    assert received.template_data["so_tien"].startswith("150.000")
    assert received.template_data["thanh_toan"] == f"http://testserver/payments/dossiers/{owing.ref}"


def test_quota_and_failures_are_counted_for_metrics(session, adapter):
    from prometheus_client import generate_latest

    from postal_gateway.core import metrics

    before = zalo.ZNS_QUOTA_EXCEEDED._value.get()
    citizen = _citizen(session)
    message = _send(session, citizen, "result_ready")
    _fault(session, "quota")
    service.deliver(session, message.id)
    assert zalo.ZNS_QUOTA_EXCEEDED._value.get() == before + 1
    scraped = generate_latest(metrics.REGISTRY).decode()
    for name in ("zalo_zns_quota_exceeded_total", "zalo_zns_quota_used_total", 'zalo_zns_errors_total{action="quota"',
                 "zalo_token_refreshes_total"):
        assert name in scraped
