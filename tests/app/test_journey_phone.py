"""A postal worker's whole visit on a 360 px phone: register the citizen, activate the account with the
code the citizen reads out, record the consent the same way, take the dossier in and fetch the slip."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import Role, User
from postal_gateway.core.db import db_session
from tests import factories
from tests.accessibility import assert_accessible
from tests.codes import last_code
from tests.conftest import log_in_on_page, save_screenshot
from tests.dossiers.test_intake_phone import no_sideways_scroll, png_bytes
from tests.identity_cards import card_photo


def last_code_sent_to(phone_number: str) -> str:
    db_session.remove()  # the live server committed in another session
    return last_code(db_session, phone_number)


@pytest.mark.timeout(180)
def test_register_consent_and_submit_on_a_phone(session, live_server, phone):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(
        session, agency, checklist=("Tờ khai đề nghị cấp giấy phép bưu chính",), fee_vnd=0, level=3,
        name="Cấp giấy phép bưu chính (phạm vi nội tỉnh)",
    )
    staff = factories.user(session, Role.postal_staff)
    session.commit()

    log_in_on_page(phone, live_server, staff)

    # Find the citizen: nobody yet, so register them on their behalf.
    phone.goto(f"{live_server}/citizens?q=070085009876")
    phone.fill("#full_name", "Lê Thị Hồng Nhung")
    phone.fill("#id_number", "070085009876")
    phone.fill("#phone", "0912 345 678")
    phone.fill("#id_issued_on", "2021-04-15")
    phone.set_input_files("#id_photo", {"name": "can-cuoc.jpg", "mimeType": "image/jpeg", "buffer": card_photo()})
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "journey-1-register-citizen")
    assert_accessible(phone)
    phone.click("#register button[type=submit]")
    phone.wait_for_url(re.compile(r".*/citizens/\d+$"))

    # The citizen reads out the activation code from their phone.
    phone.fill("#code", last_code_sent_to("+84912345678"))
    phone.click("button:has-text('Kích hoạt tài khoản')")
    phone.click("text=Tiếp tục: ghi nhận ủy quyền")

    # Consent for this dossier only, confirmed by a second code.
    phone.wait_for_url(re.compile(r".*/consent$"))
    save_screenshot(phone, "journey-2-consent")
    assert_accessible(phone)
    phone.click("button[name=method][value=code]")
    phone.wait_for_url(re.compile(r".*/consents/\d+/confirm$"))
    phone.fill("#code", last_code_sent_to("+84912345678"))
    phone.click("button[name=action][value=confirm]")

    # Straight on to the intake for that citizen.
    phone.wait_for_url(re.compile(r".*/intake.*"))
    assert "Lê Thị Hồng Nhung" in phone.content()
    phone.click("text=Chọn thủ tục này")
    phone.wait_for_url(re.compile(r".*/checklist$"))
    phone.check(f"input[name=item][value='{procedure.checklist[0].id}']")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/scans$"))
    phone.set_input_files(
        f"#scan_{procedure.checklist[0].id}", {"name": "to-khai.png", "mimeType": "image/png", "buffer": png_bytes((10, 20, 30))}
    )
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/collection$"))
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/review$"))
    phone.click("#submit-button")
    phone.wait_for_url(re.compile(r".*/dossiers/RA\d{9}VN$"))  # submitted by the post (Điều 21.1)
    save_screenshot(phone, "journey-3-dossier")
    assert_accessible(phone)
    assert no_sideways_scroll(phone)

    # The post's consignment slip opens as a PDF (form 01 only once the agency accepts: Điều 14.4), and the
    # account the dossier went through is the citizen's own.
    assert phone.request.get(phone.url + "/slip.pdf?layout=roll80").status == 409
    slip = phone.request.get(phone.url + "/consignment.pdf?layout=roll80")
    assert slip.status == 200 and slip.headers["content-type"] == "application/pdf"
    assert slip.body().startswith(b"%PDF-")
    db_session.remove()
    citizen = db_session.scalar(select(User).where(User.id_number == "070085009876"))
    assert citizen.is_active and citizen.registered_by_id == staff.id
