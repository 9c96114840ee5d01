"""Bad input is a 4xx naming the field, never a 500, and changes nothing.

Each case here answered 500 before: numbers past the database's columns, objects where strings were
expected, dates that are not dates, JSON nested past the parser, a NUL in VNPay's IPN.
"""
from __future__ import annotations

import pytest
from pydantic import BaseModel, StrictInt
from sqlalchemy import func, select

from payments.models import RejectedCallback
from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.api.spec import build_document
from postal_gateway.api.validation import field_name, openapi_schemas, parse_body
from postal_gateway.core.domain import InvalidInput
from postal_gateway.dossiers.models import Dossier, DossierStatus
from postal_gateway.dossiers.schemas import PostalSubmission
from postal_gateway.workbench.schemas import WorkbenchAction, WorkbenchHandover
from tests import factories

PROBLEM = "application/problem+json"


@pytest.fixture()
def world(session):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(session, agency, code="T-BPC-281520-TT")
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    operator = factories.user(session, Role.operator)
    factories.consent(session, citizen, staff)
    dossier = factories.postal_dossier(session, procedure=procedure, staff=staff, citizen=citizen)
    tokens = {name: issue_token(session, user)[0] for name, user in
              {"staff": staff, "officer": officer, "operator": operator, "citizen": citizen}.items()}
    session.commit()
    return {
        "citizen": citizen, "dossier": dossier,
        **{f"{name}_auth": {"Authorization": f"Bearer {token}"} for name, token in tokens.items()},
    }


def _fields(response) -> list[str]:
    assert response.mimetype == PROBLEM, response.get_data(as_text=True)
    return [error["field"] for error in response.get_json().get("errors", [])]


def _dossier_count(session) -> int:
    return session.scalar(select(func.count(Dossier.id)))


# --- query parameters and path segments past the database's range --------------------------------


def test_an_offset_past_bigint_is_a_named_field(client, world):
    response = client.get("/api/v1/procedures?offset=9223372036854775808")
    assert response.status_code == 422 and _fields(response) == ["offset"]


@pytest.mark.parametrize("citizen_id", ["2147483648", "99999999999999999999999", "0"])
def test_an_id_outside_integer_range_is_404_not_an_overflow(client, world, citizen_id):
    for url in (f"/api/v1/citizens/{citizen_id}/consents", f"/api/v1/citizens/{citizen_id}"):
        response = client.get(url, headers=world["staff_auth"])
        assert response.status_code == 404 and response.mimetype == PROBLEM


def test_the_largest_integer_id_still_reaches_the_view(client, world):
    response = client.get("/api/v1/citizens/2147483647", headers=world["staff_auth"])
    assert response.status_code == 404
    assert response.get_json()["detail"] != client.get("/api/v1/nowhere").get_json()["detail"]  # the view's own 404


@pytest.mark.parametrize("argument, value", [("to", "null"), ("from", "x"), ("from", "2026-13-45")])
def test_a_statistics_date_that_is_not_a_date_is_named(client, world, argument, value):
    response = client.get(f"/api/v1/statistics?{argument}={value}", headers=world["operator_auth"])
    assert response.status_code == 422 and _fields(response) == [argument]


def test_a_nul_in_the_statistics_agency_is_named(client, world):
    response = client.get("/api/v1/statistics?agency=%00", headers=world["operator_auth"])
    assert response.status_code == 422 and _fields(response) == ["agency"]


# --- JSON bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("wrong", [{}, [], 1])
@pytest.mark.parametrize("payment", ["fee", "postage"])
def test_a_payment_method_that_is_not_a_string_is_named(client, session, world, payment, wrong):
    payload = {"citizen_id": world["citizen"].id, "procedure_code": "T-BPC-281520-TT",
               payment: {"amount_vnd": 50_000, "method": wrong}}
    response = client.post("/api/v1/dossiers", json=payload, headers={**world["staff_auth"], "Idempotency-Key": "k1"})
    assert response.status_code == 422 and f"{payment}.method" in _fields(response)
    assert _dossier_count(session) == 1


@pytest.mark.parametrize("citizen_id", [2**31, 2**63, -1, True])
def test_a_body_id_outside_integer_range_is_named(client, session, world, citizen_id):
    payload = {"citizen_id": citizen_id, "procedure_code": "T-BPC-281520-TT", "checklist": [2**40]}
    response = client.post("/api/v1/dossiers", json=payload, headers={**world["staff_auth"], "Idempotency-Key": "k2"})
    assert response.status_code == 422 and {"citizen_id", "checklist[0]"} <= set(_fields(response))
    assert _dossier_count(session) == 1


@pytest.mark.parametrize("action", [{}, [], None, 7])
def test_a_workbench_action_that_is_not_a_name_is_named_and_changes_nothing(client, session, world, action):
    url = f"/api/v1/workbench/dossiers/{world['dossier'].code}/actions"
    response = client.post(url, json={"action": action}, headers=world["officer_auth"])
    assert response.status_code == 422 and _fields(response) == ["action"]
    session.expire_all()
    assert session.get(Dossier, world["dossier"].id).status == DossierStatus.received


def test_a_handover_with_a_non_boolean_is_named(client, world):
    url = f"/api/v1/workbench/dossiers/{world['dossier'].code}/handover"
    response = client.post(url, json={"paper_matches": "yes", "discrepancies": {}}, headers=world["officer_auth"])
    assert response.status_code == 422 and set(_fields(response)) == {"paper_matches", "discrepancies"}


@pytest.mark.parametrize("url", ["/api/v1/dossiers", "/api/v1/consents", "/api/v1/token", "/api/v1/quotes"])
def test_json_nested_five_thousand_deep_is_refused_as_a_body(client, session, world, url):
    deep = "[" * 5000 + "]" * 5000
    headers = {**world["staff_auth"], "Idempotency-Key": "k3"}
    response = client.post(url, data=deep, content_type="application/json", headers=headers)
    assert 400 <= response.status_code < 500 and response.mimetype == PROBLEM
    assert _dossier_count(session) == 1


def test_json_nested_five_thousand_deep_is_named_on_the_workbench(client, world):
    deep = '{"action":' * 5000 + '"transfer"' + "}" * 5000
    url = f"/api/v1/workbench/dossiers/{world['dossier'].code}/actions"
    response = client.post(url, data=deep, content_type="application/json", headers=world["officer_auth"])
    assert response.status_code == 422 and _fields(response) == ["body"]


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_text_the_database_cannot_store_is_named_wherever_it_sits_in_the_body(client, session, world, text):
    payload = {"citizen_id": world["citizen"].id, "procedure_code": "T-BPC-281520-TT",
               "form_data": {"owner": {"names": ["ok", text]}}}
    response = client.post("/api/v1/dossiers", json=payload, headers={**world["staff_auth"], "Idempotency-Key": "k4"})
    assert response.status_code == 422 and _fields(response) == ["form_data.owner.names[1]"]
    assert _dossier_count(session) == 1


def test_a_value_the_database_refuses_is_a_refusal_not_a_server_error(client, session):
    """No check in front of this lookup knows a NUL: the database's refusal itself becomes the 4xx."""
    officer = factories.user(session, Role.agency_staff)
    token, _row = issue_token(session, officer)
    session.commit()
    response = client.get("/api/v1/payments/dossiers/000.00.20.H10-261130-0001%00",
                          headers={"Authorization": f"Bearer {token}"})
    assert 400 <= response.status_code < 500 and response.mimetype == PROBLEM


# --- VNPay's IPN ---------------------------------------------------------------------------------


def test_a_nul_in_the_ipn_txn_ref_is_answered_97_and_logged(client, session):
    response = client.get("/payments/vnpay/ipn?vnp_TxnRef=ABC%00DEF&vnp_Amount=100&vnp_SecureHash=00")
    assert response.status_code == 200 and response.get_json() == {"RspCode": "97", "Message": "Invalid signature"}
    logged = session.scalars(select(RejectedCallback)).all()
    assert [(row.source, row.code, row.txn_ref) for row in logged] == [("ipn", "97", "ABC\\x00DEF")]


# --- the schema library: one model checks the body and documents it ------------------------------


def test_pydantic_locations_read_as_the_api_names_fields():
    assert field_name(("documents", 0, "filename")) == "documents[0].filename"
    assert field_name(("reasons", 3)) == "reasons[3]"
    assert field_name(()) == "body"


def test_every_fault_is_named_at_once_with_a_message():
    class Sample(BaseModel):
        count: StrictInt
        other: StrictInt

    with pytest.raises(InvalidInput) as refused:
        parse_body(Sample, {"count": "1"})
    assert [(item.field, item.message) for item in refused.value.field_errors] == [
        ("count", "Phải là số nguyên."), ("other", "Bắt buộc.")]
    with pytest.raises(InvalidInput) as not_an_object:
        parse_body(Sample, [1])
    assert [item.field for item in not_an_object.value.field_errors] == ["body"]


def test_the_openapi_request_bodies_are_the_models_that_check_them(app):
    document = build_document()
    schemas = document["components"]["schemas"]
    for model in (PostalSubmission, WorkbenchAction, WorkbenchHandover):
        assert {name: schemas[name] for name in openapi_schemas(model)} == openapi_schemas(model)
    body = document["paths"]["/dossiers"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PostalSubmission"}
    action = document["paths"]["/workbench/dossiers/{code}/actions"]["post"]["requestBody"]["content"]["application/json"]
    assert action["schema"] == {"$ref": "#/components/schemas/WorkbenchAction"}
    assert schemas["ScanDocument"]["properties"]["checklist_item_id"]["maximum"] == 2**31 - 1


def test_the_document_gives_every_integer_path_segment_the_converters_range(app):
    consents = build_document()["paths"]["/citizens/{citizen_id}/consents"]["get"]["parameters"]
    (citizen_id,) = [parameter for parameter in consents if parameter["name"] == "citizen_id"]
    assert (citizen_id["schema"]["minimum"], citizen_id["schema"]["maximum"]) == (1, 2**31 - 1)
