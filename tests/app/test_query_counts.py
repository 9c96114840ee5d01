"""The main pages and the dossier list API read the database a fixed number of times, whatever the number of
rows they show (issue 16, item 8): no lazy load per row (N+1). Each is measured with few rows and with many, and
the two counts must be equal and within the page's budget."""
from __future__ import annotations

from datetime import timedelta

import pytest

from postal_gateway.accounts.models import Role
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import CollectionMethod, DossierStatus, PaymentKind
from tests import factories
from tests.conftest import log_in
from tests.statements import counting
from tracking import services as tracking_services

#: statements per page, whatever the rows shown (log-in and session loading included)
BUDGETS = {
    "/dossiers": 5,  # the user, the page of dossiers with their citizens and procedures, 3 sums of money
    "/api/v1/dossiers": 7,  # the same, its token, and the total for the pages
    "dossier page": 12,
    "/workbench": 4,  # the user, counts by status, the late count, the dossiers with their names
    "/tracking/manager": 4,  # the user, and tracking.reports.overview's three
    "/statistics": 6,
}


def _world(session, rows: int):
    """``rows`` dossiers at one post office for one agency, each with its own citizen, procedure and
    submitting worker (so a lazy load per row would show), money collected, a shipment leg."""
    agency = factories.agency(session)
    office = factories.post_office(session)
    staff = factories.user(session, Role.postal_staff, post_office=office)
    officer = factories.user(session, Role.agency_staff, agency_id=agency.id)
    now = utcnow()
    dossiers = []
    for n in range(rows):
        worker = factories.user(session, Role.postal_staff, post_office=office)
        procedure = factories.procedure(session, agency)
        dossier = factories.postal_dossier(session, staff=worker, procedure=procedure,
                                           entered_at=now - timedelta(hours=rows - n + 1),
                                           status=DossierStatus.submitted if n % 2 else DossierStatus.received)
        factories.amount_collected(session, dossier, PaymentKind.postage, 30_000, method=CollectionMethod.cash,
                                   by=worker)
        tracking_services.open_forward_leg(session, dossier=dossier, picked_up_at=now - timedelta(hours=n + 1))
        dossiers.append(dossier)
    session.commit()
    return staff, officer, dossiers


def _measure(app, client, session, rows: int, who: str, url) -> int:
    staff, officer, dossiers = _world(session, rows)
    user = {"staff": staff, "officer": officer}[who]
    headers = {}
    if isinstance(url, str) and url.startswith("/api/"):
        token, _ = issue_token(session, user)
        session.commit()
        headers = {"Authorization": f"Bearer {token}"}
    else:
        log_in(client, user)
    target = url(dossiers) if callable(url) else url
    client.get(target, headers=headers)  # warm: the first request loads the translations and templates
    # the test's session is the requests' session: forget every row, as a new request in production starts
    session.expunge_all()
    with counting(app.extensions["engine"]) as seen:
        response = client.get(target, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    client.post("/logout")
    return seen


CASES = [
    ("/dossiers", "staff", "/dossiers"),
    ("/api/v1/dossiers", "staff", "/api/v1/dossiers?per_page=50"),
    ("dossier page", "staff", lambda dossiers: f"/dossiers/{dossiers[-1].ref}"),
    ("/workbench", "officer", "/workbench"),
    ("/tracking/manager", "staff", "/tracking/manager"),
    ("/statistics", "officer", "/statistics"),
]


@pytest.mark.parametrize(("name", "who", "url"), CASES, ids=[case[0] for case in CASES])
def test_statements_do_not_grow_with_the_rows_shown(app, client, session, name, who, url):
    few = _measure(app, client, session, 2, who, url)
    many = _measure(app, client, session, 12, who, url)
    assert many.statements == few.statements, "\n".join(["few:", *few.log, "many:", *many.log])
    assert many.statements <= BUDGETS[name], "\n".join(many.log)
