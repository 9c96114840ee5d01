"""A citizen's notification preferences (R-20): the page and the API set them, and `send` obeys them:
a channel or a kind turned off is kept as skipped and never handed to a gateway; one-time codes always go."""
from __future__ import annotations

from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.notifications import service
from postal_gateway.notifications.models import MessageStatus, NotificationPreference
from tests import factories, held_messages
from tests.accessibility import assert_accessible
from tests.conftest import log_in, log_in_on_page, save_screenshot

RECEIVED = {"code": "000.00.20.H10-260302-0001", "procedure_name": "Cấp giấy phép bưu chính",
            "appointment_date": "16/03/2026", "lookup_url": "http://testserver/lookup?code=X",
            "agency_name": "Sở TT&TT", "received_at": "09:30 02/03/2026",
            "form_url": "http://testserver/dossiers/000.00.20.H10-260302-0001/forms/1.pdf"}
RESULT = {"code": "000.00.20.H10-260302-0001", "procedure_name": "Cấp giấy phép bưu chính",
          "returned_by": "Mời bạn đến Bộ phận Một cửa nhận kết quả.", "lookup_url": "http://testserver/lookup?code=X"}
EVERY_KIND = list(service.CITIZEN_MESSAGE_KINDS)
#: the kinds a citizen may turn off: all but the legal notices (Điều 8.2, 12.1.b–c)
MUTABLE = [kind for kind in EVERY_KIND if kind not in service.LEGAL_NOTICE_TEMPLATES]


class RecordingGateway:
    def __init__(self):
        self.delivered = []

    def deliver(self, message):
        self.delivered.append(message.id)
        return "gw-1"


def send(session, citizen, *, channel, template, context):
    recipient = citizen.phone if channel == "sms" else citizen.email
    return service.send(session, channel=channel, recipient=recipient, template=template, context=context,
                        user_id=citizen.id)


def test_saving_on_the_page_changes_what_send_delivers(client, session):
    citizen = factories.user(session)
    session.commit()
    log_in(client, citizen)
    page = client.get("/my/notifications")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nhận thông báo" in body and citizen.phone in body
    # SMS, e-mail and Zalo (offered: the sandbox is on under test, off until chosen)
    assert body.count('type="checkbox"') == 3 + len(EVERY_KIND) and body.count(" checked") == 2 + len(EVERY_KIND)
    assert "Mã xác thực" in body and "luôn được gửi" in body

    wanted = [kind for kind in MUTABLE if kind != "result_ready"]
    saved = client.post("/my/notifications", data={"channel": ["email"], "kind": wanted})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/my/notifications")
    assert "Đã lưu lựa chọn nhận thông báo." in client.get("/my/notifications").get_data(as_text=True)

    session.expire_all()
    preference = service.preferences_of(session, citizen.id)
    assert (preference.sms, preference.email, preference.muted_templates) == (False, True, ["result_ready"])

    held_messages.held.clear()
    by_sms = send(session, citizen, channel="sms", template="dossier_received", context=RECEIVED)
    apology = send(session, citizen, channel="email", template="result_ready", context=RESULT)
    by_mail = send(session, citizen, channel="email", template="dossier_received", context=RECEIVED)
    code = send(session, citizen, channel="sms", template="one_time_code",
                context={"code": "123456", "purpose": "password_reset", "minutes": 5})
    session.commit()
    assert by_sms.status == MessageStatus.skipped and "channel" in by_sms.last_error
    assert apology.status == MessageStatus.skipped and "kind of message" in apology.last_error
    assert by_mail.status == MessageStatus.queued and code.status == MessageStatus.queued
    assert sorted(held_messages.held) == sorted([by_mail.id, code.id])  # the skipped ones are never dispatched

    gateway = RecordingGateway()
    outcomes = {m.template + "/" + m.channel.value: service.deliver(
        session, m.id, adapter=gateway, one_time_code=held_messages.held_codes.get(m.id)).result
                for m in (by_sms, apology, by_mail, code)}
    session.commit()
    assert outcomes == {"dossier_received/sms": "done_already", "result_ready/email": "done_already",
                        "dossier_received/email": "sent", "one_time_code/sms": "sent"}
    assert sorted(gateway.delivered) == sorted([by_mail.id, code.id])


def test_page_shows_what_is_saved_and_turning_everything_off_keeps_one_time_codes(client, session):
    citizen = factories.user(session, email=None)
    session.commit()
    log_in(client, citizen)
    assert client.post("/my/notifications", data={}).status_code == 303
    body = client.get("/my/notifications").get_data(as_text=True)
    # legal notices stay ticked (and disabled): they cannot be turned off
    assert body.count(" checked") == len(service.LEGAL_NOTICE_TEMPLATES) and "chỉ mã xác thực còn được gửi" in body
    assert "chưa có địa chỉ thư điện tử" in body
    session.expire_all()
    assert service.preferences_of(session, citizen.id).muted_templates == MUTABLE
    code = send(session, citizen, channel="sms", template="one_time_code",
                context={"code": "123456", "purpose": "activation", "minutes": 5})
    assert code.status == MessageStatus.queued


def test_tampered_form_is_refused_in_vietnamese_and_changes_nothing(client, session):
    citizen = factories.user(session)
    service.set_preferences(session, citizen.id, sms=True, email=False, muted_templates=["result_ready"])
    session.commit()
    log_in(client, citizen)
    for form in ({"channel": ["sms", "fax"], "kind": ["result_ready"]},
                 {"channel": "sms", "kind": ["one_time_code"]},
                 {"channel": "sms", "kind": "\x00' OR 1=1 --" * 50}):
        refused = client.post("/my/notifications", data=form)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "Lựa chọn nhận thông báo không hợp lệ, chưa lưu." in body
    session.expire_all()
    preference = service.preferences_of(session, citizen.id)
    assert (preference.sms, preference.email, preference.muted_templates) == (True, False, ["result_ready"])


def test_the_form_needs_its_csrf_token(app, client, session):
    citizen = factories.user(session)
    session.commit()
    log_in(client, citizen)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/my/notifications", data={"channel": "email"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert session.scalar(select(NotificationPreference)) is None


def test_only_citizens_reach_the_page(client, session):
    staff = factories.user(session, Role.postal_staff)
    session.commit()
    anonymous = client.get("/my/notifications")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    log_in(client, staff)
    assert client.get("/my/notifications").status_code == 403
    assert client.post("/my/notifications", data={"channel": "sms"}).status_code == 403
    assert session.scalar(select(NotificationPreference)) is None


def test_api_reads_and_sets_the_citizens_own_preferences(client, session):
    citizen = factories.user(session)
    staff = factories.user(session, Role.agency_staff)
    citizen_token, staff_token = issue_token(session, citizen)[0], issue_token(session, staff)[0]
    session.commit()
    auth = {"Authorization": f"Bearer {citizen_token}"}
    url = "/api/v1/me/notification-preferences"

    fresh = client.get(url, headers=auth).get_json()
    assert fresh == {"sms": True, "email": True, "zalo": False, "muted_templates": [], "kinds": EVERY_KIND,
                     "always_sent": ["account_registered", "consent_recorded", "one_time_code"], "updated_at": None}
    put = client.put(url, headers=auth, json={"sms": False, "email": True,
                                              "muted_templates": ["result_ready", "dossier_received"]})
    assert put.status_code == 200
    # kept in the order of a dossier's life, whatever order they came in
    assert put.get_json()["muted_templates"] == ["dossier_received", "result_ready"] and put.get_json()["updated_at"]
    kept = client.put(url, headers=auth, json={"sms": True, "email": True}).get_json()
    assert kept["sms"] is True and kept["muted_templates"] == ["dossier_received", "result_ready"]

    bad = client.put(url, headers=auth, json={"sms": "yes", "muted_templates": ["one_time_code"]})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {error["field"] for error in bad.get_json()["errors"]} == {"sms", "email", "muted_templates"}
    assert client.put(url, headers=auth, data=b"{not json", content_type="application/json").status_code == 422
    assert client.put(url, headers={"Authorization": f"Bearer {staff_token}"}, json={"sms": True, "email": True}).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth).get_json()["sms"] is True


def test_service_refuses_to_mute_what_a_citizen_cannot_turn_off(session):
    import pytest

    from postal_gateway.core.domain import InvalidInput

    citizen = factories.user(session)
    for kind in ("one_time_code", "sla_breached", "nonsense"):
        with pytest.raises(InvalidInput):
            service.set_preferences(session, citizen.id, sms=True, email=True, muted_templates=[kind])


def test_preferences_page_at_360px(live_server, phone, session):
    citizen = factories.user(session, email="nguyen.thi.hoa.rat.dai.de.xuong.dong@example.vn")
    session.commit()
    log_in_on_page(phone, live_server, citizen)
    phone.goto(f"{live_server}/my/notifications")
    assert phone.locator("h1").inner_text() == "Nhận thông báo"
    phone.uncheck("input[name=channel][value=sms]")
    phone.uncheck("input[name=kind][value=result_ready]")
    phone.click("form.card button[type=submit]")
    phone.locator(".flash-success").wait_for()
    save_screenshot(phone, "notification-preferences-360")
    assert_accessible(phone)
    too_wide = phone.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 40))"
    )
    assert not too_wide and phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), too_wide
    box = phone.locator("input[name=kind][value=dossier_received]").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24  # thumb-sized
    assert not phone.locator("input[name=channel][value=sms]").is_checked()
    assert phone.locator("input[name=channel][value=email]").is_checked()
    assert not phone.locator("input[name=kind][value=result_ready]").is_checked()
    assert phone.locator("input[name=kind][value=apology]").is_checked()  # a legal notice, disabled
    session.expire_all()
    preference = service.preferences_of(session, citizen.id)
    assert (preference.sms, preference.email, preference.muted_templates) == (False, True, ["result_ready"])
