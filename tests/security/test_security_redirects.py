"""Open redirects: a `next` or Referer value leads only to a path on this site."""
from __future__ import annotations

import pytest

from postal_gateway.accounts.models import Role
from postal_gateway.web.safe_redirects import safe_local_path, safe_path_from_url
from tests import factories

HOSTILE_TARGETS = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/ /evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "",
    None,
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_hostile_next_falls_back(target):
    assert safe_local_path(target, fallback="/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/dossiers/12?tab=history", "/tra-cuu?q=000.00.20.H10-261130-0001"])
def test_paths_on_this_site_are_kept(target):
    assert safe_local_path(target) == target


def test_referrer_on_this_site_keeps_its_path_and_query():
    assert safe_path_from_url("http://testserver/catalogue?q=b%C3%A1o", "http://testserver/") == "/catalogue?q=b%C3%A1o"


@pytest.mark.parametrize(
    "referrer",
    ["http://testserver.evil.example/", "https://testserver/", "http://evil.example/?http://testserver/", "http://testserver/\t/evil"],
)
def test_referrer_elsewhere_falls_back(referrer):
    assert safe_path_from_url(referrer, "http://testserver/") == "/"


@pytest.mark.parametrize("encoded", ["/%09/evil.example", "/%0a/evil.example", "/%5Cevil.example", "%2F%2Fevil.example"])
def test_login_never_redirects_off_site(client, session, encoded):
    user = factories.user(session, Role.postal_staff)
    session.commit()
    response = client.post(
        f"/login?next={encoded}", data={"identifier": user.email, "password": factories.DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/"
    assert "evil" not in location


def test_login_keeps_a_local_next(client, session):
    user = factories.user(session, Role.postal_staff)
    session.commit()
    response = client.post("/login?next=/citizens", data={"identifier": user.email, "password": factories.DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/citizens"


def test_language_switch_does_not_follow_a_foreign_referrer(client):
    response = client.get("/lang/en", headers={"Referer": "http://evil.example/phish"})
    assert response.headers["Location"] == "/"
    response = client.get("/lang/en", headers={"Referer": "http://testserver/\t/evil.example"})
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page_on_this_site(client):
    response = client.get("/lang/en", headers={"Referer": "http://localhost/catalogue?page=2"})
    assert response.headers["Location"] == "/catalogue?page=2"
