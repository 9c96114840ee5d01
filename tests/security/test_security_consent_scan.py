"""A consent by signed scan (R-02): the scan carries no active content and no HTML polyglot, the citizen
is told by SMS and e-mail, and the consent is usable only after a second person of the post office
reviews it or the citizen confirms it."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.consents import services
from postal_gateway.consents.models import ConsentStatus
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput
from postal_gateway.core.scan_safety import refuse_active_content
from postal_gateway.core.uploads import validate_scan
from postal_gateway.notifications.models import MessageChannel, OutboxMessage
from tests import factories
from tests.consents.test_consents_web import log_in

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
MB = 1024 * 1024


def _pdf(build=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if build:
        build(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _open_action(writer):
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _document_javascript(writer):
    from pypdf.generic import ArrayObject

    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("init"), writer._add_object(script)])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(names)})


def _page_additional_action(writer):
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(launch)})


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 12), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _checked(name: str, data: bytes):
    return refuse_active_content(validate_scan(name, data, max_bytes=5 * MB, field="scan"), field="scan")


def test_plain_scans_pass():
    assert _checked("uy-quyen.pdf", _pdf()).content_type == "application/pdf"
    assert _checked("uy-quyen.png", _png()).content_type == "image/png"


@pytest.mark.parametrize("data", [
    pytest.param(b"<html><script>alert(document.cookie)</script><!--\n" + _pdf(), id="html-before-the-header"),
    pytest.param(_pdf() + b"\n<html><body><script>fetch('/api/v1/citizens')</script></body></html>", id="html-after"),
    pytest.param(_pdf(_document_javascript), id="document-javascript"),
    pytest.param(_pdf(_open_action), id="open-action"),
    # a name spelt with #xx escapes slips past a byte search; the structure pypdf reads does not
    pytest.param(_pdf(_open_action).replace(b"/OpenAction", b"/Open#41ction"), id="escaped-open-action"),
    pytest.param(_pdf(_page_additional_action), id="page-aa-launch"),
    pytest.param(_pdf(lambda w: w.add_attachment("payload.exe", b"MZ\x90\x00")), id="embedded-file"),
])
def test_active_or_polyglot_pdfs_are_refused(data):
    validate_scan("uy-quyen.pdf", data, max_bytes=5 * MB, field="scan")  # today's content check lets them in
    with pytest.raises(InvalidInput) as refused:
        _checked("uy-quyen.pdf", data)
    assert [error.field for error in refused.value.field_errors] == ["scan"]


def test_a_png_carrying_html_is_refused():
    with pytest.raises(InvalidInput):
        _checked("uy-quyen.png", _png() + b"<script>alert(1)</script>")


def test_attaching_an_active_pdf_stores_nothing(session):
    staff, citizen = factories.user(session, Role.postal_staff), factories.user(session)
    scan = validate_scan("uy-quyen.pdf", _pdf(_open_action), max_bytes=5 * MB, field="scan")
    with pytest.raises(InvalidInput):
        services.attach_signed_authorisation(session, citizen=citizen, staff=staff, scope="single_dossier",
                                             valid_until=None, scan=scan, now=T0)


def _attach(session, staff, citizen):
    scan = validate_scan("uy-quyen.png", _png(), max_bytes=5 * MB, field="scan")
    return services.attach_signed_authorisation(session, citizen=citizen, staff=staff, scope="single_dossier",
                                                valid_until=None, scan=scan, now=T0)


def test_the_citizen_is_told_by_sms_and_email_naming_the_post_office(session):
    office = factories.post_office(session, name="Bưu cục Đồng Xoài")
    staff = factories.user(session, Role.postal_staff, post_office=office)
    citizen = factories.user(session, email="hoa@example.vn")
    from postal_gateway.notifications.service import set_preferences

    set_preferences(session, citizen.id, sms=False, email=False)  # a security notice is sent all the same
    _attach(session, staff, citizen)
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "consent_recorded")).all()
    assert {(m.channel, m.recipient) for m in messages} == {(MessageChannel.sms, citizen.phone),
                                                           (MessageChannel.email, "hoa@example.vn")}
    assert all(m.status.value == "queued" for m in messages)
    email = next(m for m in messages if m.channel == MessageChannel.email)
    assert "Bưu cục Đồng Xoài" in email.body


def test_no_dossier_until_a_second_person_reviews_and_never_the_requester(session):
    staff, citizen = factories.user(session, Role.postal_staff), factories.user(session)
    consent = _attach(session, staff, citizen)
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=T0)
    with pytest.raises(Forbidden):
        services.review_signed_authorisation(session, consent, reviewer=staff, now=T0)
    with pytest.raises(Forbidden):
        services.review_signed_authorisation(session, consent, reviewer=factories.user(session, Role.postal_staff), now=T0)
    manager = factories.user(session, Role.office_manager, post_office_id=staff.post_office_id)
    services.review_signed_authorisation(session, consent, reviewer=manager, now=T0 + timedelta(minutes=1))
    assert consent.status == ConsentStatus.active
    assert services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id,
                                    at=T0 + timedelta(minutes=2)) == consent
    with pytest.raises(Conflict):
        services.review_signed_authorisation(session, consent, reviewer=manager, now=T0)


def test_the_citizen_confirms_on_their_consents_page(client, session):
    staff, citizen = factories.user(session, Role.postal_staff), factories.user(session)
    consent = _attach(session, staff, citizen)
    session.commit()
    log_in(client, citizen)
    listed = client.get("/my/consents").get_data(as_text=True)
    assert f"/my/consents/{consent.id}/confirm" in listed
    assert client.post(f"/my/consents/{consent.id}/confirm").status_code == 302
    session.expire_all()
    assert services.get_consent(session, consent.id).status == ConsentStatus.active


def test_a_colleague_reviews_on_the_consent_page(client, session):
    staff, citizen = factories.user(session, Role.postal_staff), factories.user(session)
    colleague = factories.user(session, Role.postal_staff, post_office_id=staff.post_office_id)
    consent = _attach(session, staff, citizen)
    session.commit()
    log_in(client, staff)
    assert f"/consents/{consent.id}/review" not in client.get(f"/consents/{consent.id}").get_data(as_text=True)
    assert client.post(f"/consents/{consent.id}/review").status_code == 403
    log_in(client, colleague)
    assert f"/consents/{consent.id}/review" in client.get(f"/consents/{consent.id}").get_data(as_text=True)
    assert client.post(f"/consents/{consent.id}/review").status_code == 302
    session.expire_all()
    assert services.get_consent(session, consent.id).status == ConsentStatus.active


def test_the_api_review_needs_a_second_person(client, session):
    from tests.consents.test_consents_web import bearer

    staff, citizen = factories.user(session, Role.postal_staff), factories.user(session)
    manager = factories.user(session, Role.office_manager, post_office_id=staff.post_office_id)
    consent = _attach(session, staff, citizen)
    session.commit()
    refused = client.post(f"/api/v1/consents/{consent.id}/review", headers=bearer(session, staff))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    done = client.post(f"/api/v1/consents/{consent.id}/review", headers=bearer(session, manager))
    assert done.status_code == 200 and done.get_json()["status"] == "active" and done.get_json()["usable_now"]
