"""Identity when postal staff register a citizen (R-01, Điều 6; R-02): the ID document seen is recorded
with the staff member, the holder is told on every channel, and a real holder whose number was taken
reclaims it after their card is checked, the old account frozen and audited."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from postal_gateway.accounts import services, tokens
from postal_gateway.accounts.identity_documents import IdentityDocument
from postal_gateway.accounts.models import ApiToken, IdentityCheck, IdentityCheckPurpose, Role, User
from postal_gateway.consents.models import AuditEntry, ConsentStatus
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.core.uploads import validate_scan
from postal_gateway.notifications.models import MessageChannel, OutboxMessage
from tests import factories
from tests.codes import last_code
from tests.consents.test_consents_web import log_in
from tests.identity_cards import ISSUED_ON, card_document, card_form, card_photo

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
IMPOSTOR_PHONE, HOLDER_PHONE = "+84987000111", "+84912345678"


def _register(session, staff, **overrides):
    fields = dict(registered_by=staff, full_name="Lê Văn Tám", id_number="070080009999", phone="0987000111",
                  email="tam.le@example.vn", id_document=card_document(), now=T0)
    return services.register_citizen(session, **(fields | overrides))


def _actions(session, subject_id):
    return [entry.action for entry in session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "citizen", AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.id))]


def test_staff_cannot_register_without_the_document_seen(session):
    staff = factories.user(session, Role.postal_staff)
    with pytest.raises(InvalidInput) as refused:
        _register(session, staff, id_document=None)
    assert {e.field for e in refused.value.field_errors} == {"id_issued_on", "id_photo"}
    with pytest.raises(InvalidInput) as refused:
        _register(session, staff, id_document=IdentityDocument(date(2026, 3, 3), card_document().photo))
    assert [e.field for e in refused.value.field_errors] == ["id_issued_on"]  # issued after today, Vietnam time
    with pytest.raises(InvalidInput) as refused:
        _register(session, staff, id_document=IdentityDocument(
            ISSUED_ON, validate_scan("cc.png", card_photo_with_script(), max_bytes=1 << 20, field="id_photo")))
    assert [e.field for e in refused.value.field_errors] == ["id_photo"]
    assert session.scalars(select(User).where(User.role == Role.citizen)).all() == []


def card_photo_with_script() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    return buffer.getvalue() + b"<script>alert(1)</script>"


def test_the_document_seen_and_the_staff_member_are_recorded_and_the_holder_told(session):
    office = factories.post_office(session, name="Bưu cục Đồng Xoài")
    staff = factories.user(session, Role.postal_staff, post_office=office)
    citizen = _register(session, staff)
    check = session.scalars(select(IdentityCheck).where(IdentityCheck.user_id == citizen.id)).one()
    assert (check.purpose, check.checked_by_id, check.post_office_id, check.id_number, check.document_issued_on) == (
        IdentityCheckPurpose.registration, staff.id, office.id, "070080009999", ISSUED_ON)
    assert check.photo_content == card_photo() and check.photo_content_type == "image/jpeg"
    assert _actions(session, citizen.id) == ["citizen.registered_by_staff"]
    told = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "account_registered")).all()
    assert {(m.channel, m.recipient) for m in told} == {(MessageChannel.sms, IMPOSTOR_PHONE),
                                                       (MessageChannel.email, "tam.le@example.vn")}
    email = next(m for m in told if m.channel == MessageChannel.email)
    assert "Bưu cục Đồng Xoài" in email.body and "070******999" in email.body and "070080009999" not in email.body


def _taken_number(session):
    """An impostor's account on the holder's number, with a token and a live consent."""
    staff = factories.user(session, Role.postal_staff)
    impostor = _register(session, staff)
    impostor.is_active = True
    tokens.issue_token(session, impostor, now=T0)
    consent = factories.consent(session, impostor, staff, now=T0)
    return staff, impostor, consent


def test_the_holder_reclaims_at_an_agency_and_the_old_account_is_frozen(session):
    _staff, impostor, consent = _taken_number(session)
    officer = factories.user(session, Role.agency_staff)
    later = T0 + timedelta(days=3)
    holder, frozen = services.reclaim_identity(
        session, checked_by=officer, id_number="070 080 009 999", full_name="Lê Văn Tám", phone="0912 345 678",
        email="", reason="Công dân trình căn cước gốc; số điện thoại cũ không phải của công dân.",
        id_document=card_document(), now=later,
    )
    assert frozen.id == impostor.id and frozen.frozen_at == later
    assert holder.id != impostor.id and holder.id_number == "070080009999" and holder.phone == HOLDER_PHONE
    assert not holder.is_active and last_code(session, HOLDER_PHONE)  # activated by a code on the holder's phone
    assert session.get(ApiToken, session.scalar(select(ApiToken.id))).revoked_at == later
    session.refresh(consent)
    assert consent.status == ConsentStatus.revoked
    check = session.scalars(select(IdentityCheck).where(IdentityCheck.user_id == holder.id)).one()
    assert (check.purpose, check.frozen_user_id, check.checked_by_id, check.agency_id) == (
        IdentityCheckPurpose.reclaim, impostor.id, officer.id, officer.agency_id)
    assert _actions(session, impostor.id) == ["citizen.registered_by_staff", "citizen.frozen"]
    assert _actions(session, holder.id) == ["citizen.identity_reclaimed"]
    # the number now leads to the holder only: search, counter registration, login
    postal = factories.user(session, Role.postal_staff)
    assert services.find_citizens(session, "070080009999", searched_by=postal) == [holder]
    assert services.find_citizen_by_id_number(session, "070080009999") == holder
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(session, "tam.le@example.vn", factories.DEFAULT_PASSWORD)
    assert not frozen.is_active  # the page session loader drops it at the next request
    with pytest.raises(Conflict):
        services.activate_account(session, frozen, "000000", now=later)  # no way back through activation


def test_reclaim_needs_staff_a_taken_number_and_the_document(session):
    _staff, impostor, _consent = _taken_number(session)
    arguments = dict(id_number="070080009999", full_name="Lê Văn Tám", phone="0912345678", email="",
                     reason="Giấy tờ gốc đã kiểm tra", id_document=card_document(), now=T0)
    with pytest.raises(Forbidden):
        services.reclaim_identity(session, checked_by=factories.user(session), **arguments)
    postal = factories.user(session, Role.postal_staff)
    with pytest.raises(InvalidInput) as refused:
        services.reclaim_identity(session, checked_by=postal, **(arguments | {"id_document": None, "reason": ""}))
    assert {e.field for e in refused.value.field_errors} == {"id_issued_on", "id_photo", "reason"}
    with pytest.raises(NotFound):
        services.reclaim_identity(session, checked_by=postal, **(arguments | {"id_number": "070190001111"}))
    assert impostor.frozen_at is None


def test_reclaim_through_the_page(client, session):
    _staff, impostor, _consent = _taken_number(session)
    postal = factories.user(session, Role.postal_staff)
    citizen = factories.user(session)
    session.commit()
    log_in(client, citizen)
    assert client.get("/citizens/reclaim").status_code == 403
    log_in(client, postal)
    assert 'name="id_photo"' in client.get("/citizens/reclaim").get_data(as_text=True)
    data = {"id_number": "070080009999", "full_name": "Lê Văn Tám", "phone": "0912345678", "email": "",
            "reason": "Công dân trình căn cước gốc"} | card_form()
    response = client.post("/citizens/reclaim", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, impostor.id).frozen_at is not None
    holder = services.find_citizen_by_id_number(session, "070080009999")
    assert response.headers["Location"].endswith(f"/citizens/{holder.id}") and holder.phone == HOLDER_PHONE


def test_the_api_refuses_a_staff_registration_without_the_document(client, session):
    from tests.consents.test_consents_web import bearer

    staff = factories.user(session, Role.postal_staff)
    response = client.post("/api/v1/citizens", headers=bearer(session, staff),
                           json={"full_name": "Lê Văn Tám", "id_number": "070080009999", "phone": "0987000111"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert {item["field"] for item in response.get_json()["errors"]} == {"id_issued_on", "id_photo"}
