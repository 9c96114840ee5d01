"""The seed's procedure list cleaned and loaded as demo data; agency identifiers and contacts."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from postal_gateway.catalogue.demo_data import (
    DEMO_AGENCY_CODE,
    SEED_ROWS,
    load_demo_catalogue,
    normalise_seed_code,
    normalise_seed_rows,
    set_checklist,
)
from postal_gateway.catalogue.models import (
    Agency,
    ChecklistItem,
    PostOffice,
    Procedure,
    ProcedureField,
    is_valid_agency_code,
)
from postal_gateway.catalogue.services import is_valid_phone, upsert_agency, validate_agency
from postal_gateway.core.domain import InvalidInput

CLEAN = re.compile(r"^T-BPC-\d{6}-TT$")


def test_stray_spaces_inside_a_code_are_removed_without_doubt():
    clean = normalise_seed_code("T-BPC- 281507-TT")
    assert clean.code == "T-BPC-281507-TT"
    assert not clean.needs_review and clean.note == ""


def test_a_code_split_over_lines_is_joined():
    assert normalise_seed_code("T-BPC-\n\n\t281506-TT").code == "T-BPC-281506-TT"


def test_stray_digits_after_tt_are_dropped_and_flagged_with_the_seed_text():
    clean = normalise_seed_code("T-BPC- 281523- TT113")
    assert clean.code == "T-BPC-281523-TT"
    assert clean.needs_review
    assert '"T-BPC- 281523- TT113"' in clean.note and '"113"' in clean.note


def test_too_long_number_is_read_between_its_neighbours_and_flagged():
    clean = normalise_seed_code("T-BPC- 281117524- TT", previous=281523, following=281525)
    assert clean.code == "T-BPC-281524-TT"
    assert clean.needs_review
    assert "281117524" in clean.note and "281523" in clean.note and "281525" in clean.note


def test_too_long_number_without_neighbours_is_kept_as_typed_and_flagged():
    clean = normalise_seed_code("T-BPC- 281117524- TT")
    assert clean.code == "T-BPC-281117524-TT"
    assert clean.needs_review


def test_seed_rows_normalise_to_35_distinct_valid_codes():
    rows = normalise_seed_rows()
    assert len(SEED_ROWS) == len(rows) == 35
    assert [row.no for row in rows] == list(range(1, 36))
    assert len({row.code for row in rows}) == 35
    assert all(CLEAN.match(row.code) for row in rows)
    assert {row.no for row in rows if row.needs_review} == {32, 33}
    by_no = {row.no: row for row in rows}
    assert by_no[18].code == "T-BPC-281506-TT" and not by_no[18].needs_review
    assert by_no[32].code == "T-BPC-281523-TT"
    assert by_no[33].code == "T-BPC-281524-TT"
    # the notice's typing error is corrected to the published procedure name (Điều 4.3), and the correction noted
    assert by_no[1].name.startswith("Trưng bày tranh, ảnh") and "Trung bày" in by_no[1].review_note
    assert "Điều 4.3" in by_no[1].review_note
    counts = {field: sum(1 for row in rows if row.field == field) for field in ProcedureField}
    assert counts == {
        ProcedureField.press: 8,
        ProcedureField.broadcasting: 6,
        ProcedureField.publishing: 15,
        ProcedureField.postal: 6,
    }


@pytest.mark.parametrize("code", ["000.00.20.H10", "000.00.00.G01", "123.45.67.A99"])
def test_valid_agency_codes(code):
    assert is_valid_agency_code(code)


@pytest.mark.parametrize(
    "code",
    ["", "000.00.20.H1", "000.00.20.H100", "0000020H10", "000-00-20-H10", "000.00.20.h10",
     "000.00.20.110", "00A.00.20.H10", "000.00.20.HA0", " 000.00.20.H10"],
)
def test_invalid_agency_codes(code):
    assert not is_valid_agency_code(code)


@pytest.mark.parametrize("phone", ["0271.3888 207", "0913 75 9797", "+84 913 759 797", "(0271) 3888-207"])
def test_valid_phones(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", ["", "3888 207", "0271.3888 20", "0271 3888 2077 1", "abc", "+1 555 0100 000"])
def test_invalid_phones(phone):
    assert not is_valid_phone(phone)


def test_validate_agency_names_every_bad_field_at_once():
    errors = validate_agency(
        code="000.00.20", name=" ", one_stop_phone="123", head_phone="x", head_email="not-mail",
        province_office_email="a@", inspection_team_email="ok@binhphuoc.gov.vn",
    )
    assert {error.field for error in errors} == {
        "code", "name", "one_stop_phone", "head_phone", "head_email", "head_name", "province_office_email",
    }


def test_upsert_agency_refuses_bad_input_and_writes_nothing(session):
    with pytest.raises(InvalidInput) as raised:
        upsert_agency(session, "bad", name="", one_stop_phone="1")
    assert {error.field for error in raised.value.field_errors} == {"code", "name", "one_stop_phone"}
    assert session.scalar(select(func.count(Agency.id))) == 0


def _snapshot(session):
    procedures = [
        (row.id, row.code, row.name, row.field, row.level, row.processing_half_days, row.fee_vnd,
         row.postal_eligible, row.postal_exclusion_reason, row.needs_review, row.review_note,
         row.demo_figures, row.updated_at, row.search_text)
        for row in session.scalars(select(Procedure).order_by(Procedure.code))
    ]
    items = session.execute(
        select(ChecklistItem.id, ChecklistItem.procedure_id, ChecklistItem.position, ChecklistItem.name)
        .order_by(ChecklistItem.id)
    ).all()
    offices = session.execute(select(PostOffice.id, PostOffice.code, PostOffice.name, PostOffice.latitude)).all()
    agencies = session.execute(select(Agency.id, Agency.code, Agency.one_stop_phone, Agency.head_email)).all()
    return procedures, items, sorted(offices), sorted(agencies)


def test_demo_catalogue_loads_35_procedures_and_a_second_load_changes_nothing(session):
    load_demo_catalogue(session)
    session.commit()
    first = _snapshot(session)
    load_demo_catalogue(session)
    session.commit()
    session.expire_all()
    assert _snapshot(session) == first

    assert session.scalar(select(func.count(Procedure.id))) == 35
    assert session.scalar(select(func.count(PostOffice.id))) == 4
    agency = session.scalar(select(Agency).where(Agency.code == DEMO_AGENCY_CODE))
    assert agency.name == "Sở Thông tin và Truyền thông tỉnh Bình Phước"
    assert agency.one_stop_phone == "0271.3888 207"
    assert agency.province_office_email == "thutuchanhchinh@binhphuoc.gov.vn"
    assert agency.inspection_team_email == "BP-congdanvacongvu@binhphuoc.gov.vn"
    assert "minh họa" in agency.head_name
    assert validate_agency(
        code=agency.code, name=agency.name, one_stop_phone=agency.one_stop_phone, head_name=agency.head_name,
        head_phone=agency.head_phone, head_email=agency.head_email,
    ) == []

    procedures = session.scalars(select(Procedure)).all()
    assert all(row.demo_figures and row.level == 4 and row.agency_id == agency.id for row in procedures)
    assert all(2 <= len(row.checklist) <= 5 for row in procedures)
    assert all(row.processing_department for row in procedures)
    flagged = {row.code for row in procedures if row.needs_review}
    assert flagged == {"T-BPC-281523-TT", "T-BPC-281524-TT"}
    excluded = [row for row in procedures if not row.postal_eligible]
    assert 1 <= len(excluded) <= 2
    assert all(row.postal_exclusion_reason and "minh họa" in row.review_note for row in excluded)
    offices = session.scalars(select(PostOffice)).all()
    assert {"Bưu điện tỉnh Bình Phước", "Bưu điện thị xã Bình Long", "Bưu điện thị xã Phước Long"} <= {
        office.name for office in offices
    }
    assert all(11 < office.latitude < 12.5 and 106 < office.longitude < 107.5 for office in offices)


def test_demo_load_restores_a_changed_procedure(session):
    load_demo_catalogue(session)
    session.commit()
    row = session.scalar(select(Procedure).where(Procedure.code == "T-BPC-281520-TT"))
    row.fee_vnd = 1
    set_checklist(session, row, ["Khác"])
    session.commit()
    load_demo_catalogue(session)
    session.commit()
    session.expire_all()
    row = session.scalar(select(Procedure).where(Procedure.code == "T-BPC-281520-TT"))
    assert row.fee_vnd == 200_000
    assert row.checklist[0].name == "Đơn đề nghị (theo mẫu)"
    assert session.scalar(select(func.count(Procedure.id))) == 35
