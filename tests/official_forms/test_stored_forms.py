"""Stored forms 01–04: numbered per issuing agency, form and Vietnamese year, gap-free; frozen as issued;
readable by the dossier's people and the issuing body only (Thông tư 01/2018/TT-VPCP as named by the
Quy chế, Điều 9.1.b–c, 9.3.d, 18.3)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from postal_gateway.accounts.models import Role, User
from postal_gateway.accounts.tokens import issue_token
from postal_gateway.dossiers.models import Dossier
from postal_gateway.official_forms import issuing, numbering
from postal_gateway.official_forms.letter_layout import letter_pdf
from postal_gateway.official_forms.models import OfficialForm
from tests import factories
from tests.concurrency import all_at_once
from tests.conftest import log_in

VN = timezone(timedelta(hours=7))
DECEMBER = datetime(2026, 12, 8, 9, 0, tzinfo=VN)


@pytest.fixture()
def world(session):
    agency = factories.agency(session)
    other = factories.agency(session)
    procedure = factories.procedure(session, agency)
    officer = factories.user(session, Role.agency_staff, agency_id=agency.id)
    citizen = factories.user(session, Role.citizen)
    dossier = factories.dossier(session, agency, procedure, citizen)
    session.commit()
    return {"agency": agency, "other": other, "officer": officer, "citizen": citizen, "dossier": dossier}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def letter(**extra) -> dict:
    return {"issuer_unit": "BỘ PHẬN MỘT CỬA", "addressee": "Ông/Bà Nguyễn Văn An",
            "paragraphs": ["Hồ sơ chưa đầy đủ theo quy định."],
            "items": [{"item": "Bản sao giấy phép", "reason": "bản chụp mờ, không đọc được số giấy phép"}],
            "signature_title": "NGƯỜI HƯỚNG DẪN", "signer_name": "Trần Thị Bình", **extra}


def issue(session, world, form_no=numbering.COMPLETION, *, agency=None, now=DECEMBER) -> OfficialForm:
    return issuing.issue(session, form_no=form_no, dossier=world["dossier"], agency=agency or world["agency"],
                         officer=world["officer"], now=now, data=letter(), render=letter_pdf)


def test_numbers_run_per_agency_form_and_year_without_gaps__thong_tu_01_2018(session, world):
    """Each form is numbered per issuing agency and year, never per dossier: 1, 2, 3 for form 02 of one
    agency; form 03 and another agency start their own 1."""
    assert [issue(session, world).number for _ in range(3)] == [1, 2, 3]
    assert issue(session, world, numbering.REFUSAL).number == 1
    assert issue(session, world, agency=world["other"]).number == 1


def test_the_year_is_vietnams__2330_utc_on_31_december_is_next_year(session, world):
    """The year of the number is the Vietnamese calendar year of the issue moment."""
    last_evening_utc = datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc)  # 00:30 on 1 January in Vietnam
    assert issue(session, world, now=last_evening_utc - timedelta(hours=1)).year == 2026
    form = issue(session, world, now=last_evening_utc)
    assert (form.year, form.number) == (2027, 1)
    assert form.data["number_line"] == "Số: 1/YCBS"


def test_a_rolled_back_issue_gives_its_number_back(session, world):
    issue(session, world)
    session.commit()
    issue(session, world)
    session.rollback()
    assert issue(session, world).number == 2


def test_the_form_is_frozen_what_it_prints_is_stored_with_its_pdf(session, world):
    """A legal document never changes once issued: the data printed and the PDF are kept, with its hash."""
    form = issue(session, world)
    text = "".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(form.pdf)).pages)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Số: 1/YCBS" in text and "Bản sao giấy phép" in text and "Trần Thị Bình" in text
    assert form.data["issuer_name"] == world["agency"].name
    assert form.data["officer_name"] == world["officer"].full_name
    assert len(form.sha256) == 64


@pytest.mark.commits  # forty connections at once
def test_forty_concurrent_issues_get_forty_numbers_without_gaps(app, session, world):
    """Forty officers issuing at once get numbers 1..40 exactly (one counter row orders them)."""
    session.commit()
    ids = (world["officer"].id, world["dossier"].id)

    def issue_one(own, _index):
        officer = own.get(User, ids[0])
        return issuing.issue(own, form_no=numbering.COMPLETION, dossier=own.get(Dossier, ids[1]),
                             agency=officer.agency, officer=officer, now=DECEMBER, data=letter(),
                             render=letter_pdf).number

    numbers, failures = all_at_once(app, issue_one, 40)
    assert not failures
    assert sorted(numbers) == list(range(1, 41))


def test_reprinting_gives_the_same_bytes_to_the_citizen_and_the_officer(client, session, world):
    form = issue(session, world)
    session.commit()
    url = f"/dossiers/{world['dossier'].code}/forms/{form.id}.pdf"
    log_in(client, world["citizen"])
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == form.pdf
    client.post("/logout")
    log_in(client, world["officer"])
    assert client.get(url).data == form.pdf


def test_another_citizen_or_agency_cannot_read_the_form_nor_learn_it_exists(client, session, world):
    form = issue(session, world)
    stranger = factories.user(session, Role.citizen)
    foreign_officer = factories.user(session, Role.agency_staff, agency_id=world["other"].id)
    session.commit()
    for intruder in (stranger, foreign_officer):
        log_in(client, intruder)
        assert client.get(f"/dossiers/{world['dossier'].code}/forms/{form.id}.pdf").status_code == 404
        assert client.get(f"/dossiers/{world['dossier'].code}/forms/{form.id + 999}.pdf").status_code == 404
        client.post("/logout")


def test_the_issuing_body_reads_its_own_form_on_a_dossier_of_another_agency(client, session, world):
    """A cooperating agency's apology letter (Điều 10.2.g) is readable by that agency's officers."""
    cooperating_officer = factories.user(session, Role.agency_staff, agency_id=world["other"].id)
    form = issuing.issue(session, form_no=numbering.APOLOGY, dossier=world["dossier"], agency=world["other"],
                         officer=cooperating_officer, now=DECEMBER, data=letter(), render=letter_pdf)
    own_form = issue(session, world)
    session.commit()
    token = issue_token(session, cooperating_officer)[0]
    session.commit()
    listed = client.get(f"/api/v1/dossiers/{world['dossier'].code}/forms", headers=bearer(token))
    assert listed.status_code == 200
    assert [item["id"] for item in listed.get_json()["items"]] == [form.id]
    log_in(client, cooperating_officer)
    assert client.get(f"/dossiers/{world['dossier'].code}/forms/{form.id}.pdf").status_code == 200
    assert client.get(f"/dossiers/{world['dossier'].code}/forms/{own_form.id}.pdf").status_code == 404


def test_the_api_lists_a_dossiers_forms_oldest_first_with_their_number_lines(client, session, world):
    issue(session, world)
    issue(session, world, numbering.REFUSAL)
    token = issue_token(session, world["citizen"])[0]
    session.commit()
    answer = client.get(f"/api/v1/dossiers/{world['dossier'].code}/forms", headers=bearer(token)).get_json()
    assert [(item["form_no"], item["number_line"]) for item in answer["items"]] == [(2, "Số: 1/YCBS"),
                                                                                    (3, "Số: 1/TCTN")]
    pdf = client.get(answer["items"][0]["pdf_url"], headers=bearer(token))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert session.scalar(select(OfficialForm.sha256).where(OfficialForm.id == answer["items"][0]["id"]))
