"""The OA's webhook: Zalo's signature, replays, the lookup answers of Điều 14.4 and 17 (R-19 fields and timeline),
ID numbers answered as to a stranger (no names), floods, and following a dossier's notices."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from postal_gateway.core.db import SessionFactory
from postal_gateway.lookup import ratelimit
from postal_gateway.notifications import adapters, service, zalo, zalo_oa
from postal_gateway.notifications.models import MessageStatus, OutboxMessage
from postal_gateway.notifications.zalo_models import ZaloSubscription, ZaloWebhookEvent
from postal_gateway.notifications.zalo_sandbox import gateway
from postal_gateway.notifications.zalo_sandbox.models import SandboxZaloMessage
from tests import factories

FOLLOWER = "follower-42"


@pytest.fixture()
def adapter(app):
    api = zalo.api_for(app.config["SETTINGS"], transport=gateway.in_process_transport(SessionFactory))
    service.configure_adapter(adapters.ChannelRouter(zalo=zalo.ZaloAdapter(api, app.config["SETTINGS"])))
    ratelimit.reset_all()
    yield
    service.configure_adapter(None)
    ratelimit.reset_all()


@pytest.fixture()
def dossier(session):
    agency = factories.agency(session)
    procedure = factories.procedure(session, agency)
    citizen = factories.user(session, full_name="Nguyễn Văn An", id_number="070085009999")
    row = factories.dossier(session, agency, procedure, citizen,
                            received_at=datetime(2026, 11, 30, 2, tzinfo=timezone.utc))
    session.flush()
    return row


def _post(client, text="", *, event_name="user_send_text", fault="", follower=FOLLOWER, now_ms=None):
    event = gateway.user_event(event_name, follower, text=text, now_ms=now_ms)
    statuses = gateway.post_event(event, webhook_url="/zalo/webhook", fault=fault,
                                  poster=lambda url, headers, body: client.post(url, data=body, headers=headers))
    return statuses


def _answers(session, follower=FOLLOWER):
    return [row.text for row in session.scalars(select(SandboxZaloMessage).where(
        SandboxZaloMessage.kind == "oa_out", SandboxZaloMessage.recipient == follower).order_by(SandboxZaloMessage.id))]


def test_a_dossier_code_gets_the_r19_fields_and_timeline__dieu_17(session, client, adapter, dossier):
    """Điều 17, 14.4: the code typed into the OA's chat answers the lookup fields and the timeline."""
    [response] = _post(client, dossier.code)
    assert response.status_code == 200 and response.get_json()["outcome"] == "answered"
    [answer] = _answers(session)
    for expected in (dossier.code, "Tình trạng: Đã tiếp nhận", dossier.agency.name, "Nguyễn Văn An",
                     "Ngày tiếp nhận: 09:00 30/11/2026", "Ngày hẹn trả", dossier.shipment_number):
        assert expected in answer
    reply = session.scalar(select(OutboxMessage).where(OutboxMessage.template == zalo_oa.REPLY_TEMPLATE))
    assert reply.status == MessageStatus.sent and reply.recipient == f"{zalo.FOLLOWER_PREFIX}{FOLLOWER}"


def test_the_answer_lists_the_newest_timeline_entries_first__dieu_17():
    view = {"code": "C-1", "shipment_number": "RA1", "status": "received", "agency_name": "Sở", "applicant_name": "A",
            "received_at": None, "appointment_date": None, "supplements": ["Bản sao CCCD"],
            "timeline": [{"at": f"2026-11-{day:02d}T02:00:00+00:00", "label": f"Bước {day}", "place": ""}
                         for day in range(1, 8)]}
    answer = zalo_oa.dossier_answer(view)
    steps = [line for line in answer.splitlines() if line.startswith("- ")]
    assert len(steps) == zalo_oa.TIMELINE_ENTRIES and "Bước 7" in steps[0] and "Bước 3" in steps[-1]
    assert "Cần bổ sung: Bản sao CCCD" in answer and "09:00 07/11/2026" in steps[0]


def test_an_unknown_code_gets_a_clear_answer(session, client, adapter, dossier):
    _post(client, "000.00.20.H10-261201-9999")
    assert "Không có hồ sơ nào mang mã" in _answers(session)[0]
    _post(client, "xin chào")
    assert "gửi mã hồ sơ" in _answers(session)[1]


def test_an_id_number_lists_dossiers_without_names_to_a_stranger(session, client, adapter, dossier):
    """Nghị định 13/2023 (holder_proof): the OA cannot tell who holds the number, so the name is masked."""
    _post(client, "070085009999")
    [answer] = _answers(session)
    assert dossier.code in answer and "Nguyễn V. A." in answer
    assert "Nguyễn Văn An" not in answer


def test_an_unknown_id_number_answers_as_a_known_one_with_no_dossier(session, client, adapter, dossier):
    _post(client, "070085000000")
    assert _answers(session) == ["Không có hồ sơ nào gắn với số giấy tờ này."]


def test_a_forged_signature_is_refused_and_nothing_answered(session, client, adapter, dossier):
    [response] = _post(client, dossier.code, fault="forged")
    assert response.status_code == 401
    assert _answers(session) == [] and session.scalars(select(ZaloWebhookEvent)).all() == []


def test_a_body_changed_after_signing_is_refused(client, adapter):
    event = gateway.user_event("user_send_text", FOLLOWER, text="abc")
    body = json.dumps(event).encode()
    mac = zalo.signature(zalo.SANDBOX_APP_ID, body, event["timestamp"], zalo.SANDBOX_OA_SECRET_KEY)
    tampered = body.replace(b"abc", b"abd")
    assert client.post("/zalo/webhook", data=tampered, headers={"X-ZEvent-Signature": mac}).status_code == 401
    assert client.post("/zalo/webhook", data=body, headers={"X-ZEvent-Signature": mac}).status_code == 200


def test_a_replayed_old_event_is_refused(session, client, adapter, dossier):
    [response] = _post(client, dossier.code, fault="stale")
    assert response.status_code == 401 and "replay" in response.get_json()["message"]
    assert _answers(session) == []


@pytest.mark.parametrize(("fault", "deliveries"), [("duplicate", 2), ("retried", 3)])
def test_an_event_delivered_again_is_answered_once(session, client, adapter, dossier, fault, deliveries):
    responses = _post(client, dossier.code, fault=fault)
    assert [r.status_code for r in responses] == [200] * deliveries
    assert [r.get_json()["outcome"] for r in responses] == ["answered"] + ["duplicate"] * (deliveries - 1)
    assert len(_answers(session)) == 1


def test_a_flood_from_one_follower_is_logged_and_not_answered(session, client, adapter, dossier, caplog):
    outcomes = [_post(client, dossier.code)[0].get_json()["outcome"] for _ in range(zalo_oa.per_follower.capacity + 2)]
    assert outcomes.count("answered") == zalo_oa.per_follower.capacity and outcomes[-1] == "flood"
    assert len(_answers(session)) == zalo_oa.per_follower.capacity
    assert "too many messages" in caplog.text
    # another follower is not held back
    assert _post(client, dossier.code, follower="someone-else")[0].get_json()["outcome"] == "answered"


def test_follow_then_subscribe_sends_the_dossiers_notices_to_the_follower(session, client, adapter, dossier):
    _post(client, event_name="follow")
    assert "THEO DOI" in _answers(session)[0]
    _post(client, f"theo dõi {dossier.code}")
    assert session.scalar(select(ZaloSubscription).where(ZaloSubscription.zalo_user_id == FOLLOWER)) is not None
    assert "Đã đăng ký" in _answers(session)[1]
    citizen = dossier.citizen
    service.send(session, channel="sms", recipient=citizen.phone, template="result_ready", user_id=citizen.id,
                 context={"code": dossier.code, "procedure_name": "Cấp phép", "returned_by": "",
                          "lookup_url": f"http://testserver/lookup?code={dossier.code}"})
    notice = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == f"{zalo.FOLLOWER_PREFIX}{FOLLOWER}",
                                                        OutboxMessage.template == "result_ready"))
    assert service.deliver(session, notice.id).result == "sent"
    latest = _answers(session)[-1]
    assert f"Hồ sơ {dossier.code} đã có kết quả" in latest and "Tra cứu:" in latest
    assert citizen.full_name not in latest  # the status only: what anyone holding the code may read
    _post(client, f"HUY {dossier.code}")
    assert session.scalar(select(ZaloSubscription).where(ZaloSubscription.zalo_user_id == FOLLOWER)) is None


def test_verify_checks_signature_and_window_without_flask():
    body = json.dumps({"timestamp": str(int(time.time() * 1000)), "app_id": "a"}).encode()
    now = datetime.now(timezone.utc)
    good = zalo.signature("a", body, json.loads(body)["timestamp"], "k")
    assert zalo_oa.verify(body, good, app_id="a", oa_secret_key="k", now=now)["app_id"] == "a"
    assert zalo_oa.verify(body, good.removeprefix("mac="), app_id="a", oa_secret_key="k", now=now)
    with pytest.raises(zalo_oa.EventRefused):
        zalo_oa.verify(body, good, app_id="a", oa_secret_key="other", now=now)
    with pytest.raises(zalo_oa.EventRefused):
        zalo_oa.verify(body, good, app_id="a", oa_secret_key="k", now=now.replace(year=2030))
