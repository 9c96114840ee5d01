"""The intake wizard's procedure step (Điều 24.1): the catalogue's own search, the post office's most used
procedures first, the rest behind "Xem tất cả"; on a 360 px phone."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from postal_gateway.accounts.models import Role
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.catalogue.services import get_procedure, postal_procedures_for_intake, search_procedures
from postal_gateway.dossiers.procedure_choice import FIRST_SHOWN, procedure_choice
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in, log_in_on_page, save_screenshot

NOT_FOR_SALE = "Cấp giấy phép tài liệu không kinh doanh"


@pytest.fixture()
def world(session):
    load_demo_catalogue(session)
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.flush()
    return {"staff": staff, "citizen": citizen}


def taken(session, staff, code: str, times: int) -> None:
    """``times`` dossiers of procedure ``code`` taken at ``staff``'s post office."""
    procedure = get_procedure(session, code)
    for _ in range(times):
        factories.postal_dossier(session, staff=staff, procedure=procedure)


@pytest.mark.parametrize("query", ["tai lieu khong kinh doanh", "TÀI LIỆU không KINH doanh", "281502",
                                   "buu chinh cap lai", "giấy phép"])
def test_intake_finds_what_the_catalogue_finds_dieu_24_1(session, world, query):
    """Điều 24.1: the procedures the post may receive, found by the catalogue's own matching."""
    catalogue = {row.code for row in search_procedures(session, q=query, postal_only=True, limit=200).items}
    assert catalogue
    assert {row.code for row in postal_procedures_for_intake(session, q=query)} == catalogue


def test_the_offices_most_used_procedures_come_first(session, world):
    other_staff = factories.user(session, Role.postal_staff)
    taken(session, world["staff"], "T-BPC-281520-TT", 3)
    taken(session, world["staff"], "T-BPC-281502-TT", 1)
    taken(session, other_staff, "T-BPC-281510-TT", 5)  # another office's habits do not count here

    choice = procedure_choice(session, post_office_id=world["staff"].post_office_id)
    codes = [row.code for row in choice.procedures]
    assert codes[:2] == ["T-BPC-281520-TT", "T-BPC-281502-TT"]
    assert len(codes) == FIRST_SHOWN and choice.total == 33 and choice.more == 33 - FIRST_SHOWN
    rest = postal_procedures_for_intake(session)  # the published order, without the office's counts
    assert codes[2:] == [row.code for row in rest if row.code not in codes[:2]][:FIRST_SHOWN - 2]

    every = procedure_choice(session, post_office_id=world["staff"].post_office_id, show_all=True)
    assert len(every.procedures) == 33 and every.more == 0
    found = procedure_choice(session, post_office_id=world["staff"].post_office_id, q="giay phep buu chinh")
    assert found.procedures[0].code == "T-BPC-281520-TT"


def test_intake_page_searches_without_accents_and_hides_the_rest_behind_a_link(client, session, world):
    taken(session, world["staff"], "T-BPC-281502-TT", 2)
    session.commit()
    log_in(client, world["staff"])
    base = f"/intake?citizen_id={world['citizen'].id}"

    first = client.get(base).get_data(as_text=True)
    assert first.count('name="procedure_code"') == FIRST_SHOWN
    assert first.index(NOT_FOR_SALE) < first.index('name="procedure_code"', first.index('name="procedure_code"') + 1)
    assert "Bưu cục đã nhận 2 hồ sơ" in first and "Xem tất cả (33 thủ tục)" in first
    assert client.get(base + "&all=1").get_data(as_text=True).count('name="procedure_code"') == 33

    found = client.get(base + "&q=tai+lieu+khong+kinh+doanh").get_data(as_text=True)
    assert NOT_FOR_SALE in found and "Xem tất cả" not in found


@pytest.mark.timeout(120)
def test_procedure_step_fits_a_phone(session, live_server, phone, world):
    taken(session, world["staff"], "T-BPC-281502-TT", 2)
    session.commit()
    log_in_on_page(phone, live_server, world["staff"])
    phone.goto(f"{live_server}/intake?citizen_id={world['citizen'].id}")
    assert phone.locator("#procedures strong").first.inner_text() == NOT_FOR_SALE
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.evaluate("document.documentElement.scrollHeight") < 2000  # not a 6,300 px list of 33
    save_screenshot(phone, "intake-procedure-most-used")
    assert_accessible(phone)

    phone.fill("#q", "tai lieu khong kinh doanh")
    phone.click("form.card button[type=submit]")
    phone.wait_for_url("**q=tai+lieu*")
    assert NOT_FOR_SALE in phone.locator("#procedures").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    save_screenshot(phone, "issue15-item7-accent-free-search")
    assert_accessible(phone)
