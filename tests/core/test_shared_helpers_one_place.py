"""One of each shared helper: one VND formatter, one Vietnam time zone, one lookup address, one leg enum."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Enum

from contracts.models import FullTripTime, Leg
from postal_gateway.core.formatting import VIETNAM, format_vnd, to_local
from postal_gateway.dossiers.services import lookup_url
from tracking.models import ShipmentLeg

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("postal_gateway", "payments", "contracts", "tracking")


def _sources(*suffixes: str):
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in suffixes and "translations" not in path.parts:
                yield path, path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("amount", "unit", "shown"),
    [
        (0, "₫", "0 ₫"),
        (120000, "₫", "120.000 ₫"),
        (1234000, "đồng", "1.234.000 đồng"),
        (1000000000000, "", "1.000.000.000.000"),
        (999, "₫", "999 ₫"),
        (None, "₫", ""),
    ],
)
def test_amounts_are_grouped_with_dots_and_their_unit(amount, unit, shown):
    assert format_vnd(amount, unit=unit) == shown


def test_amounts_are_formatted_in_one_place():
    # a thousands separator written by hand ("{:,}", then "," turned into ".") is a second formatter
    by_hand = re.compile(r"""\{[^{}]*:,\}|\{:,\}""")
    assert [str(path.relative_to(ROOT)) for path, text in _sources(".py", ".html") if by_hand.search(text)] == []


def test_vietnam_time_zone_is_named_once():
    named = [str(path.relative_to(ROOT)) for path, text in _sources(".py") if 'ZoneInfo("Asia/Ho_Chi_Minh")' in text]
    assert named == ["postal_gateway/core/formatting.py"]
    assert to_local(datetime(2026, 3, 12, 17, 30, tzinfo=timezone.utc)) == datetime(2026, 3, 13, 0, 30, tzinfo=VIETNAM)
    with pytest.raises(ValueError):
        to_local(datetime(2026, 3, 12, 17, 30))


def test_the_lookup_address_is_built_once():
    assert lookup_url("000.00.20.H10-260312-0007", "http://testserver/") == \
        "http://testserver/lookup?code=000.00.20.H10-260312-0007"
    assert lookup_url("A B&C", "") == "/lookup?code=A%20B%26C"
    built = [str(path.relative_to(ROOT)) for path, text in _sources(".py") if "/lookup?code={" in text]
    assert built == ["postal_gateway/dossiers/services.py"]


def test_a_shipment_leg_and_a_contract_trip_time_name_their_leg_with_the_same_enum():
    kinds = {ShipmentLeg.__table__.c.kind.type, FullTripTime.__table__.c.leg.type}
    assert {type(kind) for kind in kinds} == {Enum}
    assert {kind.enum_class for kind in kinds} == {Leg}
    # the stored strings are what the migrations wrote: member names, 16 characters at most
    assert {kind.length for kind in kinds} == {16}
    assert [kind.enums for kind in kinds] == [["forward", "return_"]] * 2
