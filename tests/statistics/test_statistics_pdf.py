"""The statistics PDF (R-21, seed 001's table): A4 landscape like the reconciliation report, both tables, the
columns without data marked and explained, another agency refused."""
from __future__ import annotations

import io
from unittest import mock

from pypdf import PdfReader

from postal_gateway.accounts.models import Role
from postal_gateway.statistics.service import COLUMNS, RECEPTION_COLUMNS
from tests import factories
from tests.conftest import log_in
from tests.statistics.test_statistics_columns import NOW
from tests.statistics.test_statistics_pages import MARCH, world  # noqa: F401 - the seeded agency and its dossiers


def _text(body: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(body))
    return reader, " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_statistics_pdf_holds_both_tables_and_the_no_data_note__seed001(client, world):  # noqa: F811
    log_in(client, world.officer)
    with mock.patch("postal_gateway.statistics.controllers.utcnow", return_value=NOW):
        response = client.get(f"/statistics.pdf?{MARCH}")
        page = client.get(f"/statistics?{MARCH}").get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="thong-ke-20260301-20260331.pdf"' in response.headers["Content-Disposition"]
    assert "/statistics.pdf?" in page  # the button beside the XLSX one, with the same period
    reader, text = _text(response.data)
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert width > height and round(float(width)) == 842  # A4 landscape
    assert "Thống kê tình hình giải quyết hồ sơ thủ tục hành chính" in text
    assert "01/03/2026" in text and "31/03/2026" in text
    assert world.agency.name in text and "Tổng cộng" in text
    for _key, _group, column in COLUMNS:
        assert column in text, column
    assert "Chưa có dữ liệu: cột này luôn bằng 0" in text
    assert "Tiếp nhận qua bưu chính" in text
    for _key, header in RECEPTION_COLUMNS:
        assert " ".join(header.split()) in text, header
    # the reception line of the seeded agency: 4 submitted, 1 accepted, 1 sent back, 1 refused, 1 waiting, 2,0 h
    assert "4 1 1 1 1 2,0" in text


def test_statistics_pdf_refuses_another_agency_and_citizens(client, session, world):  # noqa: F811
    stranger = factories.user(session, Role.agency_admin, agency=factories.agency(session))
    citizen = factories.user(session, Role.citizen)
    session.commit()
    log_in(client, stranger)
    refused = client.get(f"/statistics.pdf?{MARCH}&agency={world.agency.code}")
    assert refused.status_code in (403, 404) and refused.mimetype != "application/pdf"
    client.post("/logout")
    log_in(client, citizen)
    assert client.get(f"/statistics.pdf?{MARCH}").status_code == 403


def test_statistics_pdf_with_no_dossier_still_prints_the_empty_tables(client, session):
    officer = factories.user(session, Role.agency_staff, agency=factories.agency(session, name="Sở Y tế"))
    session.commit()
    log_in(client, officer)
    with mock.patch("postal_gateway.statistics.controllers.utcnow", return_value=NOW):
        response = client.get(f"/statistics.pdf?{MARCH}")
    _reader, text = _text(response.data)
    assert "Sở Y tế" in text and "Tổng cộng" in text and "—" in text
