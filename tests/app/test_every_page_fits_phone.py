"""Every page, for every role, fits a 360 px phone with no sideways scroll.

One world with two of everything (the access matrix's, tests/security/test_access_matrix.py) is built for each
role; that role's user logs in through the form in headless Chromium at 360 × 780 and opens every GET page of the
app the role may open (postal_gateway.access, app.url_map), its path arguments naming the world's first tenant's
objects. The postal worker also walks an intake wizard up to its review with the fee left for the citizen to pay
online later (the page that grew to 463 px). Files (PDF, XLSX, CSV, JSON, scripts) are not pages and are skipped.
Each page's screenshot is kept in test-artifacts/screenshots/.

Each of those pages, and the pages that answer a mistake (an address that leads nowhere; a refused log-in), is also
checked with axe-core against WCAG 2.x A and AA (tests/accessibility.py), what its closed <details> hold included: no
violation of serious or critical impact, for any role (issue 15).
"""
from __future__ import annotations

import re

import pytest
from flask import url_for

from postal_gateway.access import rule_for
from postal_gateway.accounts.models import Role
from tests import factories
from tests.accessibility import assert_accessible, describe, serious_violations
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


#: a table that may be wider than the phone scrolls inside a region the keyboard can reach and a reader can name,
#: with a shadow (a background gradient) as the cue that there is more to the side
TABLES_OUTSIDE_REGIONS = """[...document.querySelectorAll('main table')].filter(table => {
  const region = table.closest('.scroll-x');
  return !region || region.getAttribute('tabindex') !== '0' || region.getAttribute('role') !== 'region'
    || !region.getAttribute('aria-label') || getComputedStyle(region).overflowX !== 'auto'
    || !getComputedStyle(region).backgroundImage.includes('gradient');
}).length"""


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


def _refuse_a_log_in(page, live_server: str) -> None:
    """Log in with an account that does not exist: the form comes back with its error."""
    page.goto(f"{live_server}/login")
    page.fill("#identifier", "khong-co-ai@example.vn")
    page.fill("#password", "sai-mat-khau-1")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.click("main button[type=submit]")
    assert answer.value.status == 401
    assert page.locator("p.flash-error[role=alert]").is_visible()


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.parametrize("caller", CALLERS)
def test_every_page_fits_a_360_px_phone_for_every_role(app, session, live_server, phone, caller):
    """No page is wider than the phone, for any role: nothing to scroll sideways, every button within reach; and no
    page has a serious or critical WCAG 2.x A/AA violation that axe-core finds."""
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
    bare_tables: dict[str, int] = {}
    inaccessible: list[str] = []
    walked = 0
    if caller == "postal_staff_1":
        for endpoint, url in _walk_intake_to_review(phone, live_server, values):
            phone.goto(url)
            walked += 1
            save_screenshot(phone, f"fits-360-{caller}-{endpoint}")
            if page_width(phone) > PHONE_WIDTH:
                too_wide[url] = page_width(phone)
            inaccessible += describe(endpoint, serious_violations(phone, open_details=True))
        # the review page's own button can be tapped: it is inside the screen
        box = phone.locator("#submit-button").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH, box
        # its label/value list stacks: the value sits under its label, not in a column beside it
        label = phone.locator("dl.facts dt").first.bounding_box()
        value = phone.locator("dl.facts dd").first.bounding_box()
        assert value["x"] == label["x"] and value["y"] >= label["y"] + label["height"], (label, value)
    for endpoint, path in pages:
        response = phone.goto(live_server + path)
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        walked += 1
        save_screenshot(phone, f"fits-360-{caller}-{endpoint}")
        width = page_width(phone)
        if width > PHONE_WIDTH:
            too_wide[path] = width
        if bare := phone.evaluate(TABLES_OUTSIDE_REGIONS):
            bare_tables[path] = bare
        inaccessible += describe(path, serious_violations(phone, open_details=True))
    # the pages that answer a mistake: an address that leads nowhere and, before logging in, a refused log-in
    for mistake in ("not-found", "log-in-refused") if caller == "anonymous" else ("not-found",):
        if mistake == "not-found":
            assert phone.goto(f"{live_server}/khong-co-trang-nay").status == 404
        else:
            _refuse_a_log_in(phone, live_server)
        save_screenshot(phone, f"fits-360-{caller}-{mistake}")
        if page_width(phone) > PHONE_WIDTH:
            too_wide[mistake] = page_width(phone)
        inaccessible += describe(mistake, serious_violations(phone, open_details=True))
    assert walked >= 3
    assert too_wide == {}, f"pages wider than {PHONE_WIDTH} px for {caller}: {too_wide}"
    assert bare_tables == {}, f"tables outside a focusable scrolling region for {caller}: {bare_tables}"
    assert inaccessible == [], (f"{len(inaccessible)} serious or critical accessibility violations (axe-core, "
                                f"WCAG 2.x A/AA) for {caller}:\n" + "\n".join(inaccessible))


#: the four daily tasks of the bottom bar, in its order
DAILY_TASKS = ("dossiers.intake_start", "tracking.handheld", "contracts.my_cash_book", "dossiers.list_dossiers")


@pytest.mark.browser
@pytest.mark.timeout(120)
@pytest.mark.parametrize("role", [Role.postal_staff, Role.office_manager])
def test_postal_staff_get_a_bottom_bar_with_the_daily_tasks_and_more(app, session, live_server, browser, role):
    """On a phone the post office's menu is a bar at the bottom: intake, handheld, cash book, dossiers and "Thêm"
    (a menu without script) holding the rest; nothing on the page is hidden behind it. On a wide screen it is gone."""
    office = factories.post_office(session, province_code="70", district_code="689")
    worker = factories.user(session, role, post_office=office)
    session.commit()
    with app.test_request_context():
        task_paths = tuple(url_for(endpoint) for endpoint in DAILY_TASKS)
        handheld, procedures = url_for("tracking.handheld"), url_for("catalogue.list_procedures")
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 640}, device_scale_factor=1,
                                  locale="vi-VN")
    phone = context.new_page()
    try:
        log_in_on_page(phone, live_server, worker)
        phone.goto(live_server + handheld)
        bar = phone.get_by_role("navigation", name="Việc hằng ngày")
        assert bar.is_visible()
        assert not phone.locator("nav.menu").is_visible()  # the eight-item menu gives way to the bar
        hrefs = bar.locator(":scope > a").evaluate_all("links => links.map(link => link.getAttribute('href'))")
        assert tuple(hrefs) == task_paths
        assert bar.locator(":scope > a[aria-current=page]").get_attribute("href") == handheld
        box = bar.bounding_box()
        assert box["y"] + box["height"] == 640 and box["width"] == PHONE_WIDTH  # fixed along the bottom

        more = bar.locator("details summary")
        assert more.inner_text().strip() == "Thêm"
        assert not phone.get_by_role("link", name="Lộ trình hôm nay").is_visible()
        more.click()
        for label in ("Lộ trình hôm nay", "Công dân", "Thủ tục", "Tra cứu"):
            link = bar.get_by_role("link", name=label)
            assert link.is_visible(), label
            link_box = link.bounding_box()
            assert 0 <= link_box["x"] and link_box["x"] + link_box["width"] <= PHONE_WIDTH
        assert page_width(phone) <= PHONE_WIDTH
        save_screenshot(phone, f"bottom-bar-{role.value}-more-open")
        assert_accessible(phone)

        # scrolled to the end, the last thing on the page (the log-out) is above the bar, where a thumb reaches it
        phone.goto(live_server + procedures)
        phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        log_out = phone.locator("footer button").bounding_box()
        assert log_out["y"] + log_out["height"] <= phone.locator("nav.tabbar").bounding_box()["y"]
        save_screenshot(phone, f"bottom-bar-{role.value}-end-of-page")

        phone.set_viewport_size({"width": 1024, "height": 768})
        assert not phone.locator("nav.tabbar").is_visible()
        assert phone.locator("nav.menu").is_visible()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.timeout(60)
def test_agency_staff_keep_the_menu_without_a_bottom_bar(app, session, live_server, phone):
    """The bar is the post office's: an agency officer's few items stay in the menu at the top."""
    officer = factories.user(session, Role.agency_staff, agency=factories.agency(session))
    session.commit()
    log_in_on_page(phone, live_server, officer)
    with app.test_request_context():
        phone.goto(live_server + url_for("catalogue.list_procedures"))
    assert phone.locator("nav.tabbar").count() == 0
    assert phone.locator("nav.menu").is_visible()


#: markup a page must not have: a button with no name, a field with no label, faint text in a table's scrolling
#: region (over its edge-shadow gradients), an image with no text
BROKEN_MARKUP = """() => document.querySelector('main').insertAdjacentHTML('beforeend',
  '<button type="button" id="nameless"></button><input type="text" id="unlabelled">'
  + '<div class="scroll-x" tabindex="0" role="region" aria-label="Bảng"><table><tr><th>Mã</th></tr>'
  + '<tr><td id="faint" style="color:#c0c4cc">Nhạt</td></tr></table></div><img id="no-text" src="data:,">')"""


@pytest.mark.browser
@pytest.mark.timeout(60)
def test_the_accessibility_check_names_the_page_rule_and_element_under_the_apps_policy(live_server, phone):
    """The check runs on a page served with the app's Content-Security-Policy (no inline script, no eval) and fails
    on what axe rates serious or critical, naming the page, the rule and the element; the same page without the
    added markup passes."""
    response = phone.goto(live_server + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert serious_violations(phone) == []
    phone.evaluate(BROKEN_MARKUP)
    found = describe("/", serious_violations(phone))
    for rule, element in (("button-name", "#nameless"), ("label", "#unlabelled"), ("image-alt", "#no-text"),
                          ("color-contrast (under a background gradient)", "#faint")):
        assert any(line.startswith(f"/: {rule} (") and element in line for line in found), (rule, found)
    with pytest.raises(AssertionError, match="button-name"):
        assert_accessible(phone)
    # the scrolling region's shadows are back once the contrast under them has been measured
    assert "gradient" in phone.evaluate("() => getComputedStyle(document.querySelector('.scroll-x')).backgroundImage")
