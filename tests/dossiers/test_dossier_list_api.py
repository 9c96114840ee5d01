"""GET /api/v1/dossiers: the Hồ sơ page's list for machines, page by page, scoped like the page."""
from __future__ import annotations

from datetime import timedelta

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from tests import factories


def _auth(session, user):
    token, _ = issue_token(session, user)
    return {"Authorization": f"Bearer {token}"}


def test_postal_staff_page_through_their_office_s_dossiers_newest_first(client, session):
    staff = factories.user(session, Role.postal_staff)
    now = utcnow()
    mine = [factories.postal_dossier(session, staff=staff, entered_at=now - timedelta(hours=n)) for n in range(5)]
    elsewhere = factories.postal_dossier(session, entered_at=now)
    citizen_auth = _auth(session, mine[0].citizen)
    auth = _auth(session, staff)
    session.commit()

    first = client.get("/api/v1/dossiers?per_page=2", headers=auth).get_json()
    assert (first["total"], first["pages"], first["page"]) == (5, 3, 1)
    seen = [item["code"] for item in first["items"]]
    for page in (2, 3):
        seen += [item["code"] for item in client.get(f"/api/v1/dossiers?per_page=2&page={page}",
                                                       headers=auth).get_json()["items"]]
    assert seen == [d.code for d in mine]  # newest first, each once
    assert elsewhere.code not in seen
    item = first["items"][0]
    assert item["applicant_name"] == mine[0].citizen.full_name and item["procedure_name"] == mine[0].procedure.name
    assert item["url"].endswith(f"/api/v1/dossiers/{mine[0].code}")
    # a citizen sees their own only
    own = client.get("/api/v1/dossiers", headers=citizen_auth).get_json()
    assert [i["code"] for i in own["items"]] == [mine[0].code]


def test_bad_paging_is_a_problem_and_no_token_is_401(client, session):
    staff = factories.user(session, Role.postal_staff)
    auth = _auth(session, staff)
    session.commit()
    refused = client.get("/api/v1/dossiers?per_page=500", headers=auth)
    assert refused.status_code == 422 and refused.content_type.startswith("application/problem+json")
    assert client.get("/api/v1/dossiers?page=0", headers=auth).status_code == 422
    assert client.get("/api/v1/dossiers").status_code == 401
