"""No input produces a 500: every route, every role, with well-formed and garbage input."""
from __future__ import annotations

import itertools
import re

import pytest

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from tests import factories

GARBAGE_FORM = {
    "q": "\x00' OR 1=1 --",
    "code": "𝕏" * 300,
    "amount_vnd": "-1e309",
    "valid_until": "31/02/2026",
    "scope": "everything",
    "citizen_id": "NaN",
    "id_number": "<script>",
    "page": "-5",
    "limit": "99999999999999999999",
}
GARBAGE_JSON = {"citizen_id": [], "procedure_code": {"$ne": 1}, "amount_vnd": 1.5, "code": None, "items": "x" * 5000}
SKIPPED_ENDPOINTS = {"static"}


def _argument_values(rule, dossier_code: str) -> list[dict]:
    """A real identifier and a nonsense one for each URL argument."""
    choices = []
    for name in sorted(rule.arguments):
        converter = rule._converters[name].__class__.__name__
        if converter == "IntegerConverter":
            choices.append([(name, 1), (name, 987654321)])
        elif "code" in name:
            choices.append([(name, dossier_code), (name, "not-a-code")])
        else:
            choices.append([(name, "1"), (name, "x" * 80)])
    return [dict(combination) for combination in itertools.product(*choices)] or [{}]


def _url(rule, values: dict) -> str:
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return path


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_no_route_answers_500_to_any_role_or_input(app, session):
    agency = factories.agency(session, code="000.00.20.H10")
    factories.procedure(session, agency, code="T-BPC-281520-TT")
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    users = {
        "anonymous": None,
        "citizen": citizen,
        "postal_staff": staff,
        "agency_staff": factories.user(session, Role.agency_staff, agency=agency),
        "operator": factories.user(session, Role.operator),
    }
    tokens = {name: issue_token(session, user)[0] for name, user in users.items() if user is not None}
    session.commit()
    dossier_code = "000.00.20.H10-261207-0001"

    failures = []
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED_ENDPOINTS]
    for role, user in users.items():
        client = app.test_client()
        if user is not None:
            client.post("/login", data={"identifier": user.email, "password": factories.DEFAULT_PASSWORD})
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
        for rule in rules:
            for values in _argument_values(rule, dossier_code):
                url = _url(rule, values)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    if url in ("/logout",):
                        continue
                    attempts = [client.open(url, method=method, query_string=GARBAGE_FORM, headers=headers)]
                    if method in ("POST", "PUT", "PATCH", "DELETE"):
                        attempts.append(client.open(url, method=method, data=GARBAGE_FORM, headers=headers))
                        attempts.append(client.open(url, method=method, json=GARBAGE_JSON, headers=headers))
                        attempts.append(
                            client.open(url, method=method, data=b"{not json", content_type="application/json", headers=headers)
                        )
                    for response in attempts:
                        if response.status_code >= 500:
                            failures.append(f"{role} {method} {url} -> {response.status_code}")
    assert len(rules) > 40, "the route walk found too few routes to mean anything"
    assert not failures, "\n".join(failures[:40])
