"""Lines kept on the handheld before the worker switches language show in the chosen language (issue 15, item 12):
the result lines and the waiting lines live in the phone's localStorage, written while the page was Vietnamese."""
from __future__ import annotations

import re

import pytest
from flask_babel import refresh
from playwright.sync_api import expect

from postal_gateway.accounts.models import Role
from tests import factories
from tests.conftest import log_in, log_in_on_page, save_screenshot

#: Vietnamese letters with marks: none may be left in a line once the page is English
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)


@pytest.mark.timeout(180)
def test_lines_saved_before_switching_language_show_in_the_chosen_language(live_server, browser, worker):
    staff, dossier = worker
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1, locale="vi-VN",
                                  service_workers="block")
    page = context.new_page()
    log_in_on_page(page, live_server, staff)
    page.goto(f"{live_server}/tracking/handheld?code={dossier.code}")
    expect(page.locator("#progress")).to_contain_text("Bưu điện chưa nhận hồ sơ")

    # one event recorded, one refused by the server (a code no dossier has), one waiting with no link
    page.select_option("#type", "picked_up")
    page.click("#track button[type=submit]")
    expect(page.locator("#results li")).to_have_count(1, timeout=30000)
    page.fill("#code", "RA999999999VN")
    expect(page.locator("#progress")).to_contain_text("Không tìm thấy hồ sơ này.")
    page.select_option("#type", "picked_up")
    page.click("#track button[type=submit]")
    expect(page.locator("#results li")).to_have_count(2, timeout=30000)
    expect(page.locator("#results li").first).to_contain_text("Không tìm thấy hồ sơ RA999999999VN")
    page.route("**/tracking/sync", lambda route: route.abort())  # no link for the sync: the event waits
    page.fill("#code", dossier.code)
    page.wait_for_function("() => [...document.querySelectorAll('#type option')].some(o => o.value === 'dispatched')")
    page.select_option("#type", "dispatched")
    page.click("#track button[type=submit]")
    expect(page.locator("#pending")).to_have_text("1")
    save_screenshot(page, "issue15-item12-handheld-lines-vietnamese")

    page.click("nav.lang a")  # English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#results li")).to_have_count(2)
    # the server's words come back reworded a moment after the page opens in English
    expect(page.locator("#results li").first).to_contain_text("Dossier RA999999999VN not found.", timeout=15000)
    refused, recorded = page.locator("#results li").all_inner_texts()
    assert "Dossier received from citizen" in recorded and "Recorded" in recorded, recorded
    assert "Invalid information" in refused and "Dossier RA999999999VN not found." in refused, refused
    waiting = page.locator("#queue li").inner_text()
    assert "Dispatched" in waiting, waiting
    for line in (refused, recorded, waiting, page.locator("#progress").inner_text()):
        assert not VIETNAMESE.search(line), line
    save_screenshot(page, "issue15-item12-handheld-lines-english")
    context.close()


def test_only_the_catalogues_own_words_are_reworded(client, session):
    """The rewording endpoint formats only message ids of our catalogue, never a format string sent to it."""
    staff = factories.user(session, Role.postal_staff)
    log_in(client, staff)
    client.get("/lang/en")
    refresh()  # the test keeps one app context: forget the language Flask-Babel picked for the earlier requests
    answer = client.post("/tracking/sync/words", json={"lines": [
        {"reason": ["Không tìm thấy hồ sơ %(code)s.", {"code": "RA1VN"}], "errors": []},
        {"reason": ["%(code)999999999s", {"code": "x"}], "errors": [["Made-up %(x)s", {"x": 1}]]},
        {"reason": ["Không tìm thấy hồ sơ %(code)s.", {}], "errors": "not a list"},
        "not a line",
    ]})
    assert answer.status_code == 200
    assert answer.get_json()["lines"] == [
        {"reason": "Dossier RA1VN not found.", "errors": []},
        {"reason": "", "errors": [""]},
        {"reason": "", "errors": []},
        {"reason": "", "errors": []},
    ]
    assert client.post("/tracking/sync/words", json={"lines": [{}] * 51}).status_code == 422


def test_a_citizen_cannot_use_the_rewording(client, session):
    citizen = factories.user(session, Role.citizen)
    log_in(client, citizen)
    assert client.post("/tracking/sync/words", json={"lines": []}).status_code in (403, 404)
