"""The intake's address pickers on a 360 px phone with no signal: the postal worker picks a province and a
commune (two-level map, 2025) and gets the quote, which differs between the agency's own commune and
another province; the figure is the contract's own itemisation (R-18), checked against the server's quote."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest

from contracts.places import units
from contracts.quotes import quote
from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from tests import factories
from tests.conftest import log_in_on_page, save_screenshot


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 50, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def commune(province_code: str, name: str) -> str:
    return next(c.code for c in units.communes_of(province_code) if c.name == name)


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_a_postal_worker_picks_province_and_commune_offline_and_gets_the_quote(session, live_server, phone):
    agency = factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689",
                              address="phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước")
    procedure = factories.procedure(session, agency, checklist=("Tờ khai",), fee_vnd=50_000, level=3,
                                    name="Cấp giấy phép bưu chính (phạm vi nội tỉnh)")
    office = factories.post_office(session, province_code="70", district_code="689",
                                   address="Số 1 Trần Hưng Đạo, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước")
    staff = factories.user(session, Role.postal_staff, post_office=office)
    citizen = factories.user(session, Role.citizen, full_name="Trần Thị Bình")
    factories.contract(session, agency)
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()
    home = commune("75", "Phường Bình Phước")     # the agency's commune (old phường Tân Phú, Đồng Xoài)
    far = commune("79", "Phường Bến Thành")

    log_in_on_page(phone, live_server, staff)
    phone.goto(f"{live_server}/intake?citizen_id={citizen.id}")
    phone.click("text=Chọn thủ tục này")
    phone.wait_for_url(re.compile(r".*/checklist$"))
    for item in procedure.checklist:
        phone.check(f"input[name=item][value='{item.id}']")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/scans$"))
    for item in procedure.checklist:
        phone.set_input_files(f"#scan_{item.id}", {"name": "a.png", "mimeType": "image/png", "buffer": png_bytes()})
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/collection$"))
    phone.wait_for_function("() => !document.querySelector('#pickup_province').disabled")

    phone.context.set_offline(True)  # no signal from here on
    try:
        phone.check("input[value=citizen_address]")
        phone.select_option("#pickup_province", "75")
        phone.select_option("#pickup_commune", home)
        phone.fill("#pickup_street", "Số 9 Hùng Vương")
        phone.select_option("#delivery_province", "79")
        phone.select_option("#delivery_commune", far)
        output = phone.locator("[data-quote-output]")
        output.wait_for(state="visible")
        assert phone.input_value("#pickup_address") == "Số 9 Hùng Vương, Phường Bình Phước, Đồng Nai"
        assert phone.input_value("#delivery_address") == "Phường Bến Thành, Thành phố Hồ Chí Minh"
        far_total = int(phone.input_value("#postage_vnd"))
        assert "Khác tỉnh" in output.locator("[data-return]").inner_text()
        assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        save_screenshot(phone, "intake-address-pickers-offline-other-province")

        phone.select_option("#delivery_province", "75")
        phone.select_option("#delivery_commune", home)
        phone.wait_for_function("() => document.querySelector('[data-return]').textContent.includes('Cùng xã/phường')")
        near_total = int(phone.input_value("#postage_vnd"))
        save_screenshot(phone, "intake-address-pickers-offline-same-commune")
    finally:
        phone.context.set_offline(False)

    # the server, from the same words, quotes the same figures: the phone only looked them up
    def server(delivery: str) -> int:
        return quote(session, procedure_code=procedure.code,
                     pickup_address="Số 9 Hùng Vương, Phường Bình Phước, Đồng Nai",
                     delivery_address=delivery, at=utcnow()).postage_total_vnd

    assert far_total == server("Phường Bến Thành, Thành phố Hồ Chí Minh")
    assert near_total == server("Phường Bình Phước, Đồng Nai")
    assert far_total > near_total
