"""Every page, for every role, fits a 360 px phone with no sideways scroll.

One world with two of everything (the access matrix's, tests/security/test_access_matrix.py) is built for each
role; that role's user logs in through the form in headless Chromium at 360 × 780 and opens every GET page of the
app the role may open (postal_gateway.access, app.url_map), its path arguments naming the world's first tenant's
objects. The postal worker also walks an intake wizard up to its review with the fee left for the citizen to pay
online later (the page that grew to 463 px). Files (PDF, XLSX, CSV, JSON, scripts) are not pages and are skipped.
Each page's screenshot is kept in test-artifacts/screenshots/.
"""
from __future__ import annotations

import re

import pytest
from flask import url_for

from postal_gateway.access import rule_for
from tests.conftest import log_in_on_page, save_screenshot
from tests.dossiers.test_intake_phone import png_bytes
from tests.security.test_access_matrix import REACHES_FIRST_TENANT, ROLE_OF, _build, _path_arguments

PHONE_WIDTH = 360
#: one caller per role, and a visitor who is not logged in
CALLERS = ("anonymous", "citizen_a", "postal_staff_1", "office_manager_1", "agency_staff_1", "agency_admin_1",
           "operator")
#: answers that are files, not pages
FILE_SUFFIXES = (".pdf", ".xlsx", ".csv", ".json", ".js", ".svg", ".ico", ".webmanifest", ".txt", ".png")
#: GET routes that are no page to look at: they act (switch the language) or answer a file whatever their path says
NOT_PAGES = {"static", "choose_language", "tracking.static", "web.favicon"}


def _is_page_rule(rule) -> bool:
    if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in NOT_PAGES:
        return False
    if "fmt" in rule.arguments or "filename" in rule.arguments:
        return False
    return not rule.rule.endswith(FILE_SUFFIXES) and not rule.endpoint.endswith(("_pdf", "_xlsx", "_csv", "_json"))


def _may_open(endpoint: str, caller: str, arguments) -> bool:
    rule = rule_for(endpoint, "GET")
    assert rule is not None, f"GET {endpoint} is missing from the access matrix"
    if rule.public:
        return True
    if caller == "anonymous":
        return False
    reach = rule.reach.get(ROLE_OF[caller])
    if reach is None:
        return False
    return not arguments or reach in REACHES_FIRST_TENANT[caller]


def _pages_for(app, caller: str, values: dict) -> list[tuple[str, str]]:
    """(endpoint, url) of every page the caller may open, with the wizard's pages left to the wizard walk."""
    pages = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            if not _is_page_rule(rule) or "wizard_id" in rule.arguments:
                continue
            if not _may_open(rule.endpoint, caller, rule.arguments):
                continue
            arguments = _path_arguments(rule.endpoint, rule.arguments, values)
            pages.append((rule.endpoint, url_for(rule.endpoint, **arguments)))
    return pages


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _walk_intake_to_review(page, live_server: str, values: dict) -> list[tuple[str, str]]:
    """Start an intake for citizen A and fill it in up to the review, the fee left to be paid online later."""
    page.goto(f"{live_server}/intake?citizen_id={values['citizen_id']}&q={values['procedure_code']}")
    page.click(f"form:has(input[name=procedure_code][value='{values['procedure_code']}']) button[type=submit]")
    page.wait_for_url(re.compile(r".*/checklist$"))
    visited = [("dossiers.intake_checklist", page.url)]
    for item_id in values["checklist_ids"]:
        page.check(f"input[name=item][value='{item_id}']")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/scans$"))
    visited.append(("dossiers.intake_scans", page.url))
    for item_id in values["checklist_ids"]:
        page.set_input_files(f"#scan_{item_id}", {"name": f"giay-to-{item_id}.png", "mimeType": "image/png",
                                                  "buffer": png_bytes((10, 20, 30))})
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/collection$"))
    visited.append(("dossiers.intake_collection", page.url))
    page.check("input[name=collection_place][value=citizen_address]")
    page.fill("#pickup_address", "Số 12 đường Trần Hưng Đạo, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước")
    page.fill("#delivery_address", "Số 12 đường Trần Hưng Đạo, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước")
    page.select_option("#fee_method", "")  # the citizen pays online later (level 4)
    page.click("form.intake button[type=submit]:not([name])")
    page.wait_for_url(re.compile(r".*/review$"))
    assert "thanh toán trực tuyến sau" in page.content()
    visited.append(("dossiers.intake_review", page.url))
    return visited


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.parametrize("caller", CALLERS)
def test_every_page_fits_a_360_px_phone_for_every_role(app, session, live_server, phone, caller):
    """No page is wider than the phone, for any role: nothing to scroll sideways, every button within reach."""
    built = _build(session)
    session.commit()
    values = built["path_values"]
    if caller != "anonymous":
        user = built["users"][caller]
        log_in_on_page(phone, live_server, user)
        phone.wait_for_load_state()

    pages = _pages_for(app, caller, values)
    assert len(pages) >= 3, pages
    too_wide: dict[str, int] = {}
    walked = 0
    if caller == "postal_staff_1":
        for endpoint, url in _walk_intake_to_review(phone, live_server, values):
            phone.goto(url)
            walked += 1
            save_screenshot(phone, f"fits-360-{caller}-{endpoint}")
            if page_width(phone) > PHONE_WIDTH:
                too_wide[url] = page_width(phone)
        # the review page's own button can be tapped: it is inside the screen
        box = phone.locator("#submit-button").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH, box
    for endpoint, path in pages:
        response = phone.goto(live_server + path)
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        walked += 1
        save_screenshot(phone, f"fits-360-{caller}-{endpoint}")
        width = page_width(phone)
        if width > PHONE_WIDTH:
            too_wide[path] = width
    assert walked >= 3
    assert too_wide == {}, f"pages wider than {PHONE_WIDTH} px for {caller}: {too_wide}"
