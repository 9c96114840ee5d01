"""The public postage page, the intake quote and the cash book on a 360 px phone: no sideways scroll."""
from __future__ import annotations

import pytest

from postal_gateway.accounts.models import Role
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot


@pytest.fixture()
def demo(session):
    from sqlalchemy import select

    from contracts.demo import load_demo_contracts
    from postal_gateway.catalogue.demo_data import load_demo_catalogue
    from postal_gateway.catalogue.models import PostOffice

    load_demo_catalogue(session)
    load_demo_contracts(session)
    office = session.scalars(select(PostOffice).where(PostOffice.code == "830000")).one()
    worker = factories.user(session, Role.postal_staff, post_office_id=office.id)
    session.commit()
    return {"worker": worker}


def no_sideways_scroll(page) -> bool:
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1"
        " && !e.closest('.scroll-x, .menu')).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 60) + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 5)"
    )
    assert not wide, wide
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_public_page_and_cash_book_at_360px(live_server, phone, demo):
    phone.goto(f"{live_server}/postage?procedure_code=&weight_grams=500")
    assert phone.locator("h1").inner_text().startswith("Lệ phí")
    save_screenshot(phone, "contracts-public")
    assert_accessible(phone)
    assert no_sideways_scroll(phone)
    phone.select_option("#post_office_code", "830000")
    phone.fill("#delivery_address", "xã Lộc Ninh, tỉnh Đồng Nai")
    code = phone.locator("ul.list-plain a").first.get_attribute("href").rsplit("/", 1)[1]
    phone.fill("#procedure_code", code)
    phone.click("form.card button[type=submit]")
    phone.locator("section.quote").wait_for()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "contracts-quote")
    assert_accessible(phone)

    log_in_on_page(phone, live_server, demo["worker"])
    phone.goto(f"{live_server}/cash")
    phone.click("button:has-text('Mở ca')")
    phone.locator("button:has-text('Đóng ca')").wait_for()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "contracts-cash")
    assert_accessible(phone)
