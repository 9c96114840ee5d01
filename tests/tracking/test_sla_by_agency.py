"""The SLA page ("Theo dõi toàn trình") for the agency's officers: the clocks of their own agency's dossiers
(Điều 25.2, the post's 24-hour return commitment and the contract's full-trip time), never another agency's."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from tests import factories
from tests.conftest import log_in
from tracking import services


@pytest.fixture()
def two_agencies(session):
    staff = factories.user(session, Role.postal_staff)
    ours = factories.postal_dossier(session, staff=staff, entered_at=utcnow() - timedelta(hours=80))
    theirs = factories.postal_dossier(session, staff=staff, entered_at=utcnow() - timedelta(hours=80))
    assert ours.agency_id != theirs.agency_id
    for dossier in (ours, theirs):
        services.open_forward_leg(session, dossier=dossier, picked_up_at=utcnow() - timedelta(hours=79))
    session.commit()
    return {"staff": staff, "ours": ours, "theirs": theirs}


@pytest.mark.parametrize("role", [Role.agency_staff, Role.agency_admin])
def test_agency_roles_see_their_own_agencys_clocks_only_dieu_25_2(client, session, two_agencies, role):
    """Điều 25.2: the agency watches the legs of its own dossiers; another agency's dossiers never appear, on the
    page, in the CSV or in the XLSX."""
    officer = factories.user(session, role, agency_id=two_agencies["ours"].agency_id)
    session.commit()
    log_in(client, officer)
    page = client.get("/tracking/manager")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert two_agencies["ours"].code in html
    assert two_agencies["theirs"].code not in html
    assert "/tracking/compensations" not in html  # compensation is the post's business, not the agency's
    for state in ("breached", "at_risk", "on_time"):
        assert two_agencies["theirs"].code not in client.get(f"/tracking/manager?state={state}").get_data(as_text=True)
    csv_body = client.get("/tracking/manager/export.csv").get_data().decode("utf-8-sig")
    assert two_agencies["ours"].code in csv_body and two_agencies["theirs"].code not in csv_body
    xlsx = client.get("/tracking/manager/export.xlsx")
    assert xlsx.status_code == 200
    codes = [row[0] for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(min_row=2, values_only=True)]
    assert codes == [two_agencies["ours"].code]
    assert "/tracking/manager" in client.get("/").get_data(as_text=True)  # the menu names the page


def test_the_other_agency_sees_its_own_and_the_operator_sees_both(client, session, two_agencies):
    other = factories.user(session, Role.agency_admin, agency_id=two_agencies["theirs"].agency_id)
    operator = factories.user(session, Role.operator)
    session.commit()
    log_in(client, other)
    html = client.get("/tracking/manager").get_data(as_text=True)
    assert two_agencies["theirs"].code in html and two_agencies["ours"].code not in html
    client.post("/logout")
    log_in(client, operator)
    html = client.get("/tracking/manager").get_data(as_text=True)
    assert two_agencies["theirs"].code in html and two_agencies["ours"].code in html


def test_agency_roles_still_cannot_reach_compensations(client, session, two_agencies):
    officer = factories.user(session, Role.agency_admin, agency_id=two_agencies["ours"].agency_id)
    session.commit()
    log_in(client, officer)
    assert client.get("/tracking/compensations").status_code == 403
