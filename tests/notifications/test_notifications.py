"""R-20 notifications: templates, the outbox, the delivery port, masked logs, the operator's page."""
import logging
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import CodePurpose, Role
from postal_gateway.accounts.one_time_codes import issue_code
from postal_gateway.notifications import service
from postal_gateway.notifications.models import MessageChannel, MessageStatus, OutboxMessage
from postal_gateway.notifications.templates import render
from tests import factories
from tests.conftest import log_in

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # 16:30 in Vietnam
RECEIVED = {
    "code": "000.00.20.H10-260302-0001",
    "procedure_name": "Cấp giấy phép bưu chính",
    "appointment_date": "16/03/2026",
    "lookup_url": "http://testserver/tra-cuu/000.00.20.H10-260302-0001",
    "agency_name": "Sở Thông tin và Truyền thông",
    "received_at": "09:30 02/03/2026",
    "form_url": "http://testserver/dossiers/000.00.20.H10-260302-0001/forms/7.pdf",
}


def test_dossier_received_in_vietnamese_and_english__dieu_12_1_b_14_4():
    """Điều 12.1.b, 14.4: the agency tells the code, the receipt time, the appointment and the link to form 01."""
    vi = render("dossier_received", RECEIVED)
    assert "000.00.20.H10-260302-0001" in vi.body and "16/03/2026" in vi.body and RECEIVED["lookup_url"] in vi.body
    assert "Cấp giấy phép bưu chính" in vi.body and vi.subject.startswith("Đã tiếp nhận")
    assert vi.body.startswith("Sở Thông tin và Truyền thông đã tiếp nhận") and "09:30 02/03/2026" in vi.body
    assert f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả: {RECEIVED['form_url']}" in vi.body
    en = render("dossier_received", RECEIVED, locale="en")
    assert "received dossier 000.00.20.H10-260302-0001" in en.body and "16/03/2026" in en.body
    assert RECEIVED["form_url"] in en.body
    assert render("dossier_received", RECEIVED, locale="fr") == vi  # unknown language: Vietnamese


@pytest.mark.parametrize("missing", ["code", "procedure_name", "appointment_date", "lookup_url", "form_url"])
def test_missing_context_key_is_named(missing):
    context = {key: value for key, value in RECEIVED.items() if key != missing}
    with pytest.raises(ValueError, match=repr(missing)):
        render("dossier_received", context)


@pytest.mark.parametrize(
    ("purpose", "words"), [("activation", "kích hoạt"), ("consent", "ủy quyền"), ("password_reset", "đặt lại mật khẩu")]
)
def test_one_time_code_wording_depends_on_purpose(purpose, words):
    text = render("one_time_code", {"code": "123456", "purpose": purpose, "minutes": 5})
    assert words in text.body and "123456" in text.body and "5 phút" in text.body


def test_unknown_template_and_missing_purpose():
    with pytest.raises(ValueError, match="unknown"):
        render("no_such_template", {})
    with pytest.raises(ValueError, match="'purpose'"):
        render("one_time_code", {"code": "123456", "minutes": 5})


def test_send_queues_the_message_and_delivery_marks_it_sent(session):
    message = service.send(
        session, channel=MessageChannel.sms, recipient="+84912345678", template="dossier_received", context=RECEIVED, now=T0
    )
    stored = session.scalars(select(OutboxMessage)).one()
    assert stored is message and message.status == MessageStatus.queued and message.sent_at is None
    assert "000.00.20.H10-260302-0001" in message.body
    assert service.deliver(session, message.id, adapter=service.DevelopmentOutbox(), now=T0).result == "sent"
    assert message.status == MessageStatus.sent and message.sent_at == T0 and message.attempts == 1


def test_a_failing_gateway_leaves_the_message_queued(session):
    class Down:
        def deliver(self, message):
            raise service.DeliveryError("gateway timeout")

    previous = service.current_adapter()
    service.configure_adapter(Down())
    try:
        message = service.send(session, channel="email", recipient="hoa@example.vn", template="dossier_received", context=RECEIVED)
        service.deliver(session, message.id, now=T0)
    finally:
        service.configure_adapter(previous)
    assert message.status == MessageStatus.queued and message.last_error == "gateway timeout" and message.sent_at is None


def test_logs_never_contain_the_phone_number(session, caplog):
    citizen = factories.user(session, phone="+84912345678", is_active=False)
    caplog.set_level(logging.DEBUG)
    service.send(session, channel=MessageChannel.sms, recipient="+84912345678", template="dossier_received", context=RECEIVED)
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    assert caplog.records, "the send is logged"
    for digits in ("+84912345678", "84912345678", "912345678", "0912345678"):
        assert digits not in caplog.text
    assert citizen.id_number not in caplog.text


def test_outbox_page_is_for_operators_and_shows_newest_first(client, session):
    factories.user(session, role=Role.operator, email="vanhanh@example.vn")
    factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    service.send(session, channel=MessageChannel.sms, recipient="+84912345678", template="dossier_received",
                 context=RECEIVED | {"code": "CU-0001"}, now=datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc))
    service.send(session, channel=MessageChannel.email, recipient="hoa@example.vn", template="dossier_received",
                 context=RECEIVED | {"code": "MOI-0002"}, now=T0)
    session.commit()
    assert client.get("/ops/outbox").status_code == 302
    log_in(client, "buudien@example.vn")
    assert client.get("/ops/outbox").status_code == 403
    client.post("/logout")
    log_in(client, "vanhanh@example.vn")
    page = client.get("/ops/outbox").get_data(as_text=True)
    assert page.index("MOI-0002") < page.index("CU-0001")
    assert "16:30 02/03/2026" in page  # Vietnam time
    assert "+84912345678" in page and "SMS" in page
    filtered = client.get("/ops/outbox?to=hoa@").get_data(as_text=True)
    assert "MOI-0002" in filtered and "CU-0001" not in filtered


def test_sms_is_folded_to_plain_letters_while_email_keeps_the_accents(session):
    from postal_gateway.notifications.service import send
    from tests import factories

    citizen = factories.user(session)
    context = {"code": "000.00.20.H10-261130-0001", "procedure_name": "Cấp giấy phép bưu chính",
               "appointment_date": "07/12/2026", "lookup_url": "http://testserver/lookup",
               "agency_name": "Sở Thông tin và Truyền thông", "received_at": "09:30 30/11/2026",
               "form_url": "http://testserver/dossiers/000.00.20.H10-261130-0001/forms/1.pdf"}
    sms = send(session, channel="sms", recipient="+84912000101", template="dossier_received", context=context,
               user_id=citizen.id)
    email = send(session, channel="email", recipient="an@example.vn", template="dossier_received", context=context,
                 user_id=citizen.id)
    assert "đã tiếp nhận hồ sơ 000.00.20.H10-261130-0001 (Cấp giấy phép bưu chính)" in email.body
    assert "da tiep nhan ho so 000.00.20.H10-261130-0001 (Cap giay phep buu chinh)" in sms.body
    assert email.body.startswith("Sở Thông tin") and sms.body.startswith("So Thong tin")
    assert sms.body.isascii() and sms.subject.isascii()
