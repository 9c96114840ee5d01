"""The legal notices (Điều 8.2, 12.1.b–c, 9.4.d): completion and supplement requests, refusals and apologies
reach the citizen whatever kinds they turned off, by the channel they chose; when no chosen channel has an
address, by the other one, and the outbox row says why."""
from __future__ import annotations

import pytest

from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.domain import InvalidInput
from postal_gateway.notifications import service
from postal_gateway.notifications.models import MessageStatus
from tests import factories
from tests.conftest import log_in

APOLOGY = {"code": "000.00.20.H10-260302-0001", "reason": "Chờ ý kiến phối hợp", "new_date": "20/03/2026",
           "agency_name": "Sở TT&TT", "issuer_name": "Công an tỉnh", "lookup_url": "http://testserver/lookup?code=X",
           "form_url": "http://testserver/dossiers/X/forms/1.pdf"}
RESULT = {"code": "000.00.20.H10-260302-0001", "procedure_name": "Cấp giấy phép bưu chính",
          "returned_by": "Mời bạn đến Bộ phận Một cửa nhận kết quả.", "lookup_url": "http://testserver/lookup?code=X"}


def _send(session, citizen, channel, template="apology", context=APOLOGY):
    recipient = citizen.phone if channel == "sms" else citizen.email
    return service.send(session, channel=channel, recipient=recipient, template=template, context=context,
                        user_id=citizen.id)


@pytest.mark.parametrize("kind", sorted(service.LEGAL_NOTICE_TEMPLATES))
def test_citizen_cannot_mute_supplement_refusal_apology__dieu_8_2_12_1_b(session, kind):
    """Điều 8.2, 12.1.b–c: muting a legal notice is refused on `muted_templates`, nothing changed."""
    citizen = factories.user(session)
    service.set_preferences(session, citizen.id, sms=True, email=True, muted_templates=["result_ready"])
    with pytest.raises(InvalidInput) as refused:
        service.set_preferences(session, citizen.id, sms=False, email=True, muted_templates=[kind, "result_ready"])
    assert [error.field for error in refused.value.field_errors] == ["muted_templates"]
    assert "Điều 8.2, 12.1.b–c" in refused.value.field_errors[0].message
    preference = service.preferences_of(session, citizen.id)
    assert (preference.sms, preference.email, preference.muted_templates) == (True, True, ["result_ready"])


def test_a_legal_notice_muted_before_the_rule_is_sent_all_the_same__dieu_8_2(session):
    """Điều 8.2: a choice stored before legal notices were fixed (apology muted) does not hold one back; an
    ordinary kind turned off still is."""
    citizen = factories.user(session)
    service.set_preferences(session, citizen.id, sms=True, email=True, muted_templates=["result_ready"])
    service.preferences_of(session, citizen.id).muted_templates = ["apology", "result_ready"]
    session.flush()
    assert _send(session, citizen, "sms").status == MessageStatus.queued
    assert _send(session, citizen, "sms", "result_ready", RESULT).status == MessageStatus.skipped


def test_legal_notice_keeps_channel_choice__dieu_8_2(session):
    """Điều 8.2 ("theo đăng ký của cá nhân, tổ chức"): a citizen who chose SMS only gets the legal notice by SMS;
    the e-mail copy is held back."""
    citizen = factories.user(session)
    service.set_preferences(session, citizen.id, sms=True, email=False, muted_templates=[])
    by_sms, by_mail = _send(session, citizen, "sms"), _send(session, citizen, "email")
    assert by_sms.status == MessageStatus.queued and by_sms.last_error == ""
    assert by_mail.status == MessageStatus.skipped and "channel" in by_mail.last_error


def test_legal_notice_goes_by_the_other_channel_when_the_chosen_one_has_no_address__dieu_8_2(session):
    """Điều 8.2: chose e-mail only but the account has no address (or turned both channels off): the legal
    notice goes by SMS anyway, and the outbox row says why; an ordinary message stays held back."""
    no_mail = factories.user(session, email=None)
    service.set_preferences(session, no_mail.id, sms=False, email=True, muted_templates=[])
    notice = _send(session, no_mail, "sms")
    assert notice.status == MessageStatus.queued
    assert "legal notice" in notice.last_error and "no channel the citizen chose" in notice.last_error
    assert _send(session, no_mail, "sms", "result_ready", RESULT).status == MessageStatus.skipped
    silent = factories.user(session)
    service.set_preferences(session, silent.id, sms=False, email=False, muted_templates=[])
    assert {_send(session, silent, channel).status for channel in ("sms", "email")} == {MessageStatus.queued}


def test_preferences_page_shows_legal_notices_ticked_and_disabled_and_keeps_them_on__dieu_8_2(client, session):
    """Điều 8.2, 12.1.b–c: the page shows each legal notice ticked, disabled, with the hint; saving a form that
    does not send them (a disabled box is not posted) keeps them on."""
    citizen = factories.user(session)
    session.commit()
    log_in(client, citizen)
    body = client.get("/my/notifications").get_data(as_text=True)
    for kind in service.LEGAL_NOTICE_TEMPLATES:
        assert f'value="{kind}" checked disabled' in body
    assert body.count("Thông báo bắt buộc theo quy định (Điều 8.2, 12.1.b–c)") == len(service.LEGAL_NOTICE_TEMPLATES)
    saved = client.post("/my/notifications", data={"channel": ["sms"], "kind": ["dossier_received"]})
    assert saved.status_code == 303
    session.expire_all()
    muted = service.preferences_of(session, citizen.id).muted_templates
    assert not set(muted) & service.LEGAL_NOTICE_TEMPLATES and "result_ready" in muted


def test_the_api_refuses_to_mute_a_legal_notice__dieu_8_2_12_1_b(client, session):
    """Điều 8.2, 12.1.b–c: the API answers 422 naming `muted_templates`, and the choice stays as it was."""
    citizen = factories.user(session)
    token = issue_token(session, citizen)[0]
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    refused = client.put("/api/v1/me/notification-preferences", headers=auth,
                         json={"sms": True, "email": False, "muted_templates": ["supplement_requested"]})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert [error["field"] for error in refused.get_json()["errors"]] == ["muted_templates"]
    assert client.get("/api/v1/me/notification-preferences", headers=auth).get_json()["email"] is True
