"""The operator's review page of the catalogue (R-03: the published list of procedures): the entries marked
"Đang chờ rà soát" with their review note, a "Xác nhận" that clears the mark and records who and when, and the
public page's badge gone afterwards."""
from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.catalogue.models import Procedure
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in, log_in_on_page, save_screenshot

BADGE = "Đang chờ rà soát"


@pytest.fixture()
def flagged(session) -> list[Procedure]:
    load_demo_catalogue(session)
    session.commit()
    rows = session.scalars(select(Procedure).where(Procedure.needs_review.is_(True)).order_by(Procedure.code)).all()
    assert len(rows) >= 2  # the seed's doubtful entries
    return list(rows)


@pytest.fixture()
def operator(session):
    user = factories.user(session, Role.operator, full_name="Trần Thị Vận Hành")
    session.commit()
    return user


def test_the_page_lists_the_entries_waiting_for_review_with_their_note__r03(client, flagged, operator):
    log_in(client, operator)
    html = client.get("/catalogue/review").get_data(as_text=True)
    for procedure in flagged:
        assert procedure.code in html and str(escape(procedure.review_note)) in html
    assert html.count(">Xác nhận</button>") == len(flagged)
    assert "/catalogue/review" in client.get("/").get_data(as_text=True)  # in the operator's menu


def test_confirming_clears_the_mark_records_who_and_when_and_removes_the_badge__r03(client, session, flagged,
                                                                                   operator):
    first, *others = flagged
    log_in(client, operator)
    assert BADGE in client.get(f"/procedures/{first.code}").get_data(as_text=True)
    confirmed = client.post("/catalogue/review/confirm", data={"code": first.code})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/catalogue/review")
    session.expire_all()
    row = session.get(Procedure, first.id)
    assert not row.needs_review and row.reviewed_by_id == operator.id and row.reviewed_at is not None
    assert row.review_note  # the record of what was doubtful stays
    assert BADGE not in client.get(f"/procedures/{first.code}").get_data(as_text=True)
    assert BADGE in client.get(f"/procedures/{others[0].code}").get_data(as_text=True)
    html = client.get("/catalogue/review").get_data(as_text=True)
    assert html.count(">Xác nhận</button>") == len(others)
    assert "Xác nhận bởi Trần Thị Vận Hành" in html
    load_demo_catalogue(session)  # reloading the demo keeps what the operator confirmed
    session.commit()
    session.expire_all()
    assert not session.get(Procedure, first.id).needs_review


def test_refused_confirmations_say_why_and_change_nothing(client, session, flagged, operator):
    log_in(client, operator)
    assert client.post("/catalogue/review/confirm", data={"code": flagged[0].code}).status_code == 302
    again = client.post("/catalogue/review/confirm", data={"code": flagged[0].code})
    assert again.status_code == 409 and "không chờ rà soát" in again.get_data(as_text=True)
    unknown = client.post("/catalogue/review/confirm", data={"code": "T-BPC-000000-TT"})
    assert unknown.status_code == 404 and "Không tìm thấy thủ tục" in unknown.get_data(as_text=True)
    empty = client.post("/catalogue/review/confirm", data={})
    assert empty.status_code == 422 and "Chọn thủ tục cần xác nhận." in empty.get_data(as_text=True)
    session.expire_all()
    assert sum(row.needs_review for row in session.scalars(select(Procedure))) == len(flagged) - 1


@pytest.mark.parametrize("role", [Role.agency_admin, Role.agency_staff, Role.postal_staff, Role.citizen])
def test_only_operators_review_the_catalogue(client, session, flagged, role):
    user = factories.user(session, role)
    session.commit()
    log_in(client, user)
    assert client.get("/catalogue/review").status_code == 403
    assert client.post("/catalogue/review/confirm", data={"code": flagged[0].code}).status_code == 403
    session.expire_all()
    assert session.get(Procedure, flagged[0].id).needs_review


def test_the_review_page_on_a_360_px_phone(session, live_server, phone):
    load_demo_catalogue(session)
    operator = factories.user(session, Role.operator)
    session.commit()
    first = session.scalars(select(Procedure).where(Procedure.needs_review.is_(True)).order_by(Procedure.code)).first()
    log_in_on_page(phone, live_server, operator)
    phone.goto(f"{live_server}/catalogue/review")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.click(f"form:has(input[value='{first.code}']) button")
    assert "Đã xác nhận thủ tục" in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshot(phone, "issue15-item11-catalogue-review")
    assert_accessible(phone)
    phone.goto(f"{live_server}/procedures/{first.code}")
    assert BADGE not in phone.content()
