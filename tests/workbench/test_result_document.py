"""The result as a file with "Báo có kết quả" (Điều 25.2): required for an electronic result (level 4 not
returned on paper by the post), optional otherwise, validated by content like every scan."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import InvalidInput
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.uploads import validate_scan
from postal_gateway.dossiers.models import Channel
from postal_gateway.dossiers.models import DossierStatus as S
from postal_gateway.workbench import services
from postal_gateway.workbench.models import ResultDocument
from tests import factories
from tests.conftest import log_in

READY = datetime(2026, 12, 9, 9, 0, tzinfo=VIETNAM)
MAX_BYTES = 5 * 1024 * 1024


def _pdf(text: str = "Giấy phép") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A5)
    page.drawString(40, 500, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.fixture()
def world(session):
    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    level4 = factories.procedure(session, agency, level=4, fee_vnd=0)
    level3 = factories.procedure(session, agency, level=3, fee_vnd=0)
    electronic = factories.postal_dossier(session, procedure=level4, channel=Channel.online, status=S.in_processing)
    postal = factories.postal_dossier(session, procedure=level3, status=S.in_processing)
    session.commit()
    return {"officer": officer, "electronic": electronic, "postal": postal}


def _ready(session, world, dossier, document=None):
    with unit_of_work(session):
        services.mark_result_ready(session, officer=world["officer"], code=dossier.code, now=READY,
                                   result_document=document)


def test_an_electronic_result_is_refused_without_its_file_dieu_25_2(session, world):
    """Điều 25.2: a level-4 result not returned on paper is the file itself: "Báo có kết quả" without it is
    refused on the file's field, and nothing changes."""
    dossier = world["electronic"]
    assert services.electronic_result(dossier) and not services.electronic_result(world["postal"])
    with pytest.raises(InvalidInput) as refused:
        _ready(session, world, dossier)
    assert [e.field for e in refused.value.field_errors] == ["result_file"]
    session.expire_all()
    assert dossier.status == S.in_processing
    assert session.scalar(select(ResultDocument).where(ResultDocument.dossier_id == dossier.id)) is None


def test_an_electronic_result_keeps_its_signed_pdf_dieu_25_2(session, world):
    dossier = world["electronic"]
    data = _pdf()
    _ready(session, world, dossier, validate_scan("ket-qua.pdf", data, max_bytes=MAX_BYTES))
    assert dossier.status == S.result_ready
    stored = services.result_document_of(session, dossier)
    assert (stored.filename, stored.content_type, stored.content, stored.uploaded_by_id) == (
        "ket-qua.pdf", "application/pdf", data, world["officer"].id)


def test_a_paper_result_may_come_with_or_without_its_scan_dieu_25_2(session, world):
    """Điều 25.2: a result returned on paper by the post needs no file."""
    _ready(session, world, world["postal"])
    assert world["postal"].status == S.result_ready
    assert services.result_document_of(session, world["postal"]) is None


def test_a_result_file_with_active_content_is_refused_dieu_25_2(session, world):
    """A PDF carrying JavaScript is not a scan of paper: refused like any scan (core.scan_safety)."""
    active = _pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>", 1)
    scan = validate_scan("ket-qua.pdf", active, max_bytes=MAX_BYTES)
    with pytest.raises(InvalidInput) as refused:
        _ready(session, world, world["electronic"], scan)
    assert [e.field for e in refused.value.field_errors] == ["result_file"]


def test_the_dossier_page_takes_the_result_file_dieu_25_2(client, session, world):
    """The officer's "Báo có kết quả" form posts the file; a file that is not a PDF, JPEG or PNG is named and
    refused, the dossier unchanged."""
    dossier = world["electronic"]
    log_in(client, world["officer"])
    page = client.get(f"/workbench/{dossier.code}").get_data(as_text=True)
    assert 'name="result_file"' in page and "bắt buộc" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": token, "version": str(dossier.version)}
    bad = client.post(f"/workbench/{dossier.code}/result", data={**form, "result_file": (io.BytesIO(b"<html>x</html>"),
                                                                                          "ket-qua.pdf")},
                      content_type="multipart/form-data", follow_redirects=True)
    session.expire_all()
    assert dossier.status == S.in_processing and "ket-qua.pdf" in bad.get_data(as_text=True)
    good = client.post(f"/workbench/{dossier.code}/result", data={**form, "result_file": (io.BytesIO(_pdf()),
                                                                                           "ket-qua.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "Đã báo có kết quả cho công dân." in good.get_data(as_text=True)
    session.expire_all()
    assert dossier.status == S.result_ready and services.result_document_of(session, dossier) is not None
