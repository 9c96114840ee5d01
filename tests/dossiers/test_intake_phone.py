"""The intake wizard on a 360 px phone in a real browser, with CSRF on: one thumb, no sideways scroll."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest

from postal_gateway.accounts.models import Role
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot


def png_bytes(colour) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.timeout(120)
def test_a_postal_worker_takes_in_a_dossier_on_a_phone(session, live_server, phone):
    agency = factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689")
    procedure = factories.procedure(
        session, agency, checklist=("Tờ khai đề nghị cấp giấy phép bưu chính", "Bản sao giấy chứng nhận đăng ký doanh nghiệp"),
        fee_vnd=50_000, level=4, name="Cấp giấy phép bưu chính (phạm vi nội tỉnh)",
    )
    staff = factories.user(session, Role.postal_staff,
                           post_office=factories.post_office(session, province_code="70", district_code="689"))
    citizen = factories.user(session, Role.citizen, full_name="Trần Thị Bình")
    factories.contract(session, agency)  # the post's contract with the agency: postage is quoted from it
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()
    items = [item.id for item in procedure.checklist]

    log_in_on_page(phone, live_server, staff)

    phone.goto(f"{live_server}/intake?citizen_id={citizen.id}")
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "intake-1-procedure")
    assert_accessible(phone)
    phone.click("text=Chọn thủ tục này")

    phone.wait_for_url(re.compile(r".*/checklist$"))
    phone.click("button[type=submit]")  # nothing ticked: both documents are named at once
    assert phone.locator(".errors li").count() == 2
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "intake-2-checklist-missing")
    assert_accessible(phone)
    for item_id in items:
        phone.check(f"input[name=item][value='{item_id}']")
    phone.click("button[type=submit]")

    phone.wait_for_url(re.compile(r".*/scans$"))
    for n, item_id in enumerate(items):
        phone.set_input_files(
            f"#scan_{item_id}", {"name": f"tep{n}.png", "mimeType": "image/png", "buffer": png_bytes((n, 50, 90))}
        )
    save_screenshot(phone, "intake-3-scans")
    assert_accessible(phone)
    phone.click("button[type=submit]")

    phone.wait_for_url(re.compile(r".*/collection$"))
    phone.check("input[value=citizen_address]")
    phone.fill("#pickup_address", "25 Hùng Vương, Tân Phú, Đồng Xoài")
    phone.fill("#delivery_address", "12 Lê Lợi, Quận 1, TP Hồ Chí Minh")
    phone.click("button[value=quote]")  # the itemised quote for these addresses, from the contract's tariff
    quote = phone.locator("section.quote")
    assert "Cước chiều trả kết quả" in quote.inner_text() and "Khác tỉnh" in quote.inner_text()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "intake-4-collection")
    assert_accessible(phone)
    phone.click("button[type=submit]:not([value=quote])")

    phone.wait_for_url(re.compile(r".*/review$"))
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "intake-5-review")
    assert_accessible(phone)
    phone.click("#submit-button")
    # submitted, not received (Điều 21.1): the post's consignment slip, no form 01 yet
    phone.wait_for_url(re.compile(r".*/dossiers/RA\d{9}VN$"))
    assert "In phiếu gửi hồ sơ" in phone.content() and "In phiếu A4" not in phone.content()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "intake-6-detail")
    assert_accessible(phone)
