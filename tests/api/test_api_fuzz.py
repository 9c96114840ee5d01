"""Schemathesis over the whole OpenAPI document, for anonymous callers and for every role's token.

Every operation gets a few generated requests (valid and invalid by the document), with a fixed seed
so a failure replays; the run finds no server error, no undocumented status code or content type and
no answer that breaks the response schema. Operations left out are listed with their reason.
"""
from __future__ import annotations

import warnings

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.api.spec import build_document
from tests import factories

SEED = 20261130
EXAMPLES_PER_MODE = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ROLES = (
    None,  # anonymous
    Role.citizen,
    Role.postal_staff,
    Role.office_manager,
    Role.agency_staff,
    Role.agency_admin,
    Role.operator,
)
# Operations run last for a role, because they end the role's token.
RUN_LAST = {"DELETE /token": "revokes the caller's token; later calls would all be 401"}
# Operations not fuzzed at all, each with its reason (none today).
SKIPPED: dict[str, str] = {}


def _tokens(session) -> dict[Role, str]:
    """A token per role, and a few rows (an agency, its procedures, a postal dossier) for them to meet."""
    agency = factories.agency(session, code="000.00.20.H10")
    factories.procedure(session, agency, code="T-BPC-281520-TT")
    tokens = {}
    for role in ROLES:
        if role is None:
            continue
        fields = {"agency": agency} if role in (Role.agency_staff, Role.agency_admin) else {}
        if role == Role.office_manager:
            fields["post_office"] = factories.post_office(session)
        tokens[role] = issue_token(session, factories.user(session, role, **fields))[0]
    factories.postal_dossier(session, procedure=factories.procedure(session, agency))
    session.commit()
    return tokens


def _generated_cases(operation, nothing_invalid: list[str]) -> list:
    """A few cases of one operation, valid and invalid by the document, drawn once for every role.
    An operation with nothing that can be made invalid is added to ``nothing_invalid``."""
    cases = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @hypothesis.seed(SEED)
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_MODE,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def collect(case):
            cases.append(case)

        try:
            collect()
        except hypothesis.errors.Unsatisfiable:
            nothing_invalid.append(operation.label)  # no parameter, no body: only valid requests exist
    return cases


def _failures(case, headers: dict) -> list[tuple[str, str]]:
    """(kind, report) of every check the answer to this case fails."""
    try:
        case.call_and_validate(headers=headers, checks=CHECKS)
    except FailureGroup as group:
        return [(type(failure).__name__, f"{failure}\n    {case.as_curl_command(headers=headers)}")
                for failure in group.exceptions]
    return []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_api_has_no_server_errors_nor_schema_violations(app, session):
    tokens = _tokens(session)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: op.label in RUN_LAST)
    documented = sum(len(methods) for methods in build_document()["paths"].values())
    assert len(operations) == documented > 25, "every documented operation is fuzzed"
    for label, reason in SKIPPED.items():
        warnings.warn(f"not fuzzed: {label}: {reason}", stacklevel=1)
    nothing_invalid: list[str] = []
    cases = {
        operation.label: _generated_cases(operation, nothing_invalid)
        for operation in operations
        if operation.label not in SKIPPED
    }
    print(f"\n{sum(map(len, cases.values()))} cases per role over {len(cases)} operations;",
          f"left out: {SKIPPED or 'nothing'}; run last: {RUN_LAST};",
          f"valid requests only (nothing can be made invalid): {nothing_invalid or 'none'}")
    failures: dict[tuple[str, str, str], str] = {}  # the first failure of each kind per role and operation
    for role in ROLES:
        who = role.value if role else "anonymous"
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        for label, generated in cases.items():
            for case in generated:
                for kind, report in _failures(case, headers):
                    failures.setdefault((who, label, kind), f"{who} {label}: {report}")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures.values())
