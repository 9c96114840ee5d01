"""Every place that takes a dossier code also takes what a worker may type or scan instead: the shipment
number on the consignment slip, or the whole lookup link the QR codes of form 01 and the consignment slip
hold (a scanner gives the address, not the code)."""
from __future__ import annotations

import pytest

from postal_gateway.accounts.models import Role
from postal_gateway.dossiers.shipments import find_by_reference, reference_in
from postal_gateway.lookup import ratelimit
from tests import factories
from tests.conftest import log_in


@pytest.mark.parametrize(("typed", "expected"), [
    ("000.00.20.h10-261207-0001", "000.00.20.H10-261207-0001"),
    ("  RA00000001 8VN ", "RA00000001 8VN"),
    ("https://dvc.example.vn/lookup?code=000.00.20.H10-261207-0001", "000.00.20.H10-261207-0001"),
    ("HTTP://DVC.EXAMPLE.VN/LOOKUP?CODE=RA000000018VN", "RA000000018VN"),
    ("http://127.0.0.1:8000/lookup?lang=vi&code=000.00.20.H10-261207-0001#top", "000.00.20.H10-261207-0001"),
    ("/lookup?code=000.00.20.H10%2D261207%2D0001", "000.00.20.H10-261207-0001"),
    ("https://dvc.example.vn/lookup", "HTTPS://DVC.EXAMPLE.VN/LOOKUP"),
    ("x" * 301, ""),
    (None, ""),
])
def test_reference_in_reads_a_code_a_number_or_a_lookup_link(typed, expected):
    assert reference_in(typed) == expected


@pytest.fixture()
def world(session):
    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    procedure = factories.procedure(session, agency)
    dossier = factories.postal_dossier(session, procedure=procedure)
    session.commit()
    return {"officer": officer, "dossier": dossier}


def link(reference: str) -> str:
    return f"http://localhost:8000/lookup?code={reference}"


def test_the_scanned_link_finds_the_dossier_by_code_and_by_shipment_number(session, world):
    dossier = world["dossier"]
    assert find_by_reference(session, link(dossier.code)) is dossier
    assert find_by_reference(session, link(dossier.shipment_number.lower())) is dossier


def test_the_officers_receive_screen_and_the_lookup_take_the_scanned_link(client, world):
    dossier = world["dossier"]
    log_in(client, world["officer"])
    scanned = client.post("/workbench/receive", data={"code": link(dossier.code)})
    assert scanned.status_code in (302, 303)
    assert scanned.headers["Location"].endswith(f"/workbench/{dossier.ref}/receive")
    ratelimit.reset_all()
    found = client.post("/lookup", data={"code": link(dossier.shipment_number)})
    assert found.status_code == 200 and dossier.shipment_number in found.get_data(as_text=True)


def test_share_sends_the_public_lookup_link_not_a_page_behind_a_login(client, session, world):
    """Issue 15.6: 'Chia sẻ' shares what the receiver can open: the public lookup of the dossier."""
    dossier = world["dossier"]
    log_in(client, dossier.citizen)
    html = client.get(f"/dossiers/{dossier.ref}").get_data(as_text=True)
    share_button = html.split("data-share", 1)[1].split(">", 1)[0]
    assert f"/lookup?code={dossier.ref}" in share_button and "slip.pdf" not in share_button
