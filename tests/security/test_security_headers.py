"""Security headers: a script policy no injected markup can pass, no framing, no sniffing, no copies
of personal data left in caches (Nghị định 13/2023/NĐ-CP), and /metrics kept from the public."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from postal_gateway.accounts.demo import DEMO_PASSWORD
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.lookup import ratelimit
from tests import factories
from tests.conftest import log_in

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class InlineScriptFinder(HTMLParser):
    """Collects what a strict CSP would refuse: inline script text, on*= handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.offences: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.offences.append(f"<{tag} {name}=…>")
            is_address = name in ("href", "src", "action", "formaction")
            if is_address and (value or "").strip().lower().startswith("javascript:"):
                self.offences.append(f"<{tag} {name}={value}>")
        self._in_script_without_src = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script_without_src = False

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.offences.append(f"<script>{data.strip()[:40]}…")


def inline_script_offences(html: str) -> list[str]:
    finder = InlineScriptFinder()
    finder.feed(html)
    return finder.offences


def test_the_finder_sees_each_kind_of_inline_script():
    assert inline_script_offences('<script>alert(1)</script><button onclick="x()">') == [
        "<script>alert(1)…", "<button onclick=…>"]
    assert inline_script_offences('<a href="javascript:history.back()">') == ["<a href=javascript:history.back()>"]
    assert inline_script_offences('<script src="/static/js/app.js" defer></script><p data-on="1">') == []


# --- the headers -----------------------------------------------------------------------------------


def test_every_answer_carries_the_script_policy_and_the_framing_sniffing_referrer_rules(client):
    for url in ("/", "/lookup", "/procedures", "/login", "/no-such-page", "/api/v1/procedures", "/static/css/app.css"):
        response = client.get(url)
        directives = csp_directives(response)
        assert directives.get("script-src") == ["'self'"], url  # no 'unsafe-inline', no 'unsafe-eval'
        assert directives.get("frame-ancestors") == ["'none'"], url
        assert directives.get("object-src") == ["'none'"] and directives.get("base-uri") == ["'none'"], url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["Referrer-Policy"] == "same-origin", url


def test_hsts_only_when_the_site_runs_on_https(client, app, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/").headers
    monkeypatch.setattr(app.config["SETTINGS"], "secure_cookies", True)
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_of_a_signed_in_person_are_not_stored(client, session):
    staff = factories.user(session, Role.postal_staff)
    session.commit()
    assert "no-store" not in client.get("/procedures").headers.get("Cache-Control", "")  # public, anonymous
    log_in(client, staff)
    for url in ("/", "/procedures", "/citizens", "/dossiers", "/tracking/handheld"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    # the stylesheet is nobody's data and may be kept
    assert client.get("/static/css/app.css").headers.get("Cache-Control") != "no-store"


def test_lookup_answers_and_api_answers_to_a_token_are_not_stored(client, session):
    ratelimit.reset_all()
    staff = factories.user(session, Role.postal_staff)
    token, _row = issue_token(session, staff)
    session.commit()
    assert client.get("/lookup?id_number=001098765432").headers["Cache-Control"] == "no-store"
    assert client.post("/lookup", data={"id_number": "001098765432"}).headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/lookup?code=000.00.20.H10-261207-0001").headers["Cache-Control"] == "no-store"
    answer = client.get("/api/v1/citizens?q=Nguyễn", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    ratelimit.reset_all()


# --- /metrics --------------------------------------------------------------------------------------


def test_metrics_are_closed_to_the_public_without_a_token(client, app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "metrics_token", "")
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "http_request_duration_seconds" not in refused.get_data(as_text=True)
    # An empty token configured must not open the door to an empty bearer.
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_metrics_open_to_an_operator_session_and_not_to_other_staff(client, app, session):
    operator = factories.user(session, Role.operator)
    staff = factories.user(session, Role.postal_staff)
    operator_token, _row = issue_token(session, operator)
    session.commit()
    log_in(client, staff)
    assert client.get("/metrics").status_code == 403
    client.post("/logout")
    # An operator's API token is for the API; the scraper has its own token.
    assert client.get("/metrics", headers={"Authorization": f"Bearer {operator_token}"}).status_code == 403
    log_in(client, operator)
    page = client.get("/metrics")
    assert page.status_code == 200 and "http_request_duration_seconds" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


# --- no inline script in any template or any served page ---------------------------------------------


def _template_files() -> list[Path]:
    skipped = {".venv", "node_modules", "test-artifacts", "instance"}
    return sorted(
        path for path in PROJECT_ROOT.rglob("templates/**/*.html")
        if not skipped.intersection(path.relative_to(PROJECT_ROOT).parts)
    )


def test_no_template_holds_an_inline_script_or_event_handler():
    files = _template_files()
    assert len(files) > 40  # every area's templates/ folder was found
    offences = {}
    for path in files:
        # Jinja expressions are blanked so the HTML parser sees only the markup.
        markup = re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", "x", path.read_text(), flags=re.S)
        found = inline_script_offences(markup)
        if found:
            offences[str(path.relative_to(PROJECT_ROOT))] = found
    assert offences == {}


class LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


NOT_PAGES = re.compile(r"\.(pdf|xlsx|csv|json|png|jpe?g)$|/lang/|/logout|/ipn|/export|/sandbox/|/static/")


def _walk(client, start: str, seen: set[str], limit: int = 150) -> dict[str, list[str]]:
    """Follow every same-site link from ``start``; the offences of each HTML page, by address."""
    queue, offences, first = [start], {}, len(seen)
    while queue and len(seen) - first < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or NOT_PAGES.search(path):
            continue
        seen.add(url)
        response = client.get(url)
        assert "Content-Security-Policy" in response.headers, url
        assert response.status_code < 500, url
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        found = inline_script_offences(html)
        if found:
            offences[url] = found
        collector = LinkCollector()
        collector.feed(html)
        for href in collector.links:
            target = urljoin("http://localhost" + url, href)
            parts = urlsplit(target)
            if parts.netloc == "localhost" and parts.scheme == "http":
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return offences


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_no_served_page_of_any_role_holds_an_inline_script(app, session):
    ratelimit.reset_all()
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    logins = ("operator@demo.buudien.vn", "buudien1@demo.buudien.vn", "motcua@demo.stttt.gov.vn",
              "lanhdao@demo.stttt.gov.vn", "070085001234")
    offences, pages = {}, 0
    anonymous, seen = app.test_client(), set()
    offences.update(_walk(anonymous, "/", seen))
    offences.update(_walk(anonymous, "/lookup?code=000.00.20.H10-000000-0000", seen))  # the error answer
    pages += len(seen)
    for identifier in logins:
        client, seen = app.test_client(), set()
        log_in(client, identifier, password=DEMO_PASSWORD)
        offences.update(_walk(client, "/", seen))
        pages += len(seen)
    assert offences == {}
    assert pages > 60, "the walk reached the pages of every role"
    ratelimit.reset_all()
