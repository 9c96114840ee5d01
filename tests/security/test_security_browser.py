"""The Content-Security-Policy in a real browser: no page trips it, and what the inline scripts used to
do (go back from an error, look up without the ID number in the address) still works from static files."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from postal_gateway.accounts.models import Role, User
from postal_gateway.lookup import ratelimit
from tests.conftest import log_in_on_page, save_screenshot
from tests.lookup.test_lookup import journey  # noqa: F401 - a dossier with a lookup record, by ID 001098765432


def watch_policy_violations(page) -> list[str]:
    """Chromium reports every refused script, style or frame as a console error naming the policy."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_pages_run_without_a_policy_violation_and_their_scripts_still_work(
        session, live_server, phone, journey):  # noqa: F811
    ratelimit.reset_all()
    dossier, _citizen = journey
    violations = watch_policy_violations(phone)

    # The error page's "back" link (was javascript:history.back()).
    phone.goto(f"{live_server}/procedures")
    phone.goto(f"{live_server}/procedures/NO-SUCH-PROCEDURE")
    phone.click("a[data-history-back]")
    phone.wait_for_url(re.compile(r".*/procedures$"))

    # The lookup form posts the ID number: it never appears in the address bar or history.
    phone.goto(f"{live_server}/lookup")
    phone.click("summary")
    phone.fill("#id_number", "001098765432")
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator(".lookup-code").first.inner_text() == dossier.code
    assert "001098765432" not in phone.url and "id_number" not in phone.url
    save_screenshot(phone, "lookup-by-id-number-posted")

    # The staff member's pages: the dossier with its share button, the handheld with its service worker.
    staff = session.scalar(select(User).where(User.role == Role.postal_staff))
    log_in_on_page(phone, live_server, staff)
    phone.wait_for_load_state()
    phone.goto(f"{live_server}/dossiers/{dossier.code}")
    assert phone.locator("h1").inner_text().endswith(dossier.code)
    # app.js shows the share button exactly where the phone can share
    assert phone.locator("#share").is_visible() == phone.evaluate("'share' in navigator")
    phone.goto(f"{live_server}/tracking/handheld")
    phone.wait_for_load_state("networkidle")

    assert violations == []
    ratelimit.reset_all()


@pytest.mark.browser
@pytest.mark.timeout(60)
def test_an_inline_script_injected_into_a_page_is_refused(live_server, phone):
    """The policy itself, seen from the browser: a script written into the page does not run."""
    violations = watch_policy_violations(phone)
    phone.goto(f"{live_server}/procedures")
    ran = phone.evaluate("""() => {
        window.injected = false;
        const script = document.createElement('script');
        script.textContent = 'window.injected = true';
        document.body.appendChild(script);
        return window.injected;
    }""")
    assert ran is False and any("script-src" in text for text in violations)
