"""The officer opens the dossier's scans (Điều 7.2.a) by short-lived signed links made on the dossier page: only
the dossier's agency, only for 5 minutes, every view in the audit log."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.consents.models import AuditEntry
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import Forbidden, NotFound
from postal_gateway.dossiers.models import DossierDocument
from postal_gateway.workbench import scans
from tests import factories
from tests.conftest import log_in

SECRET = "test-secret"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture()
def world(session):
    agency = factories.agency(session)
    officer = factories.user(session, Role.agency_staff, agency=agency)
    stranger = factories.user(session, Role.agency_staff)  # another agency's officer
    dossier = factories.postal_dossier(session, agency=agency)
    data = _png()
    document = DossierDocument(dossier_id=dossier.id, title="Bản sao giấy phép", filename="giay-phep.png",
                               content_type="image/png", size_bytes=len(data),
                               sha256=hashlib.sha256(data).hexdigest(), content=data)
    session.add(document)
    session.commit()
    return {"officer": officer, "stranger": stranger, "dossier": dossier, "document": document, "data": data}


def _views(session, document) -> list[AuditEntry]:
    return session.scalars(select(AuditEntry).where(AuditEntry.action == scans.VIEWED,
                                                    AuditEntry.subject_id == document.id)).all()


def _open(session, world, officer, token, now):
    return scans.open_scan(session, officer=officer, code=world["dossier"].code, document_id=world["document"].id,
                           token=token, secret=SECRET, now=now)


def test_a_fresh_link_opens_the_scan_and_the_view_is_audited_dieu_7_2_a(session, world):
    """Điều 7.2.a: the officer sees the scan itself; the view names who, which document, which dossier."""
    officer, document = world["officer"], world["document"]
    token = scans.sign_link(SECRET, document_id=document.id, officer_id=officer.id)
    assert _open(session, world, officer, token, utcnow()) is document
    [entry] = _views(session, document)
    assert entry.actor_id == officer.id and entry.subject_type == "dossier_document"
    assert entry.details["dossier_code"] == world["dossier"].code and entry.details["filename"] == "giay-phep.png"


def test_a_link_expires_after_five_minutes(session, world):
    officer, document = world["officer"], world["document"]
    token = scans.sign_link(SECRET, document_id=document.id, officer_id=officer.id)
    _open(session, world, officer, token, utcnow() + timedelta(minutes=4))
    with pytest.raises(Forbidden) as expired:
        _open(session, world, officer, token, utcnow() + timedelta(minutes=6))
    assert "hết hạn" in expired.value.message
    assert len(_views(session, document)) == 1


def test_a_link_is_refused_to_another_agency_and_to_another_officer(session, world):
    document, stranger = world["document"], world["stranger"]
    token = scans.sign_link(SECRET, document_id=document.id, officer_id=stranger.id)
    with pytest.raises(NotFound):  # another agency may not learn the dossier exists
        _open(session, world, stranger, token, utcnow())
    colleague = factories.user(session, Role.agency_staff, agency=world["officer"].agency)
    with pytest.raises(Forbidden):  # a link made for someone else, forwarded
        _open(session, world, colleague, scans.sign_link(SECRET, document_id=document.id,
                                                         officer_id=world["officer"].id), utcnow())
    with pytest.raises(Forbidden):  # altered
        _open(session, world, world["officer"], token[:-2] + "xx", utcnow())
    assert _views(session, document) == []


def test_the_dossier_page_links_each_scan_served_inline_with_restrictive_headers(client, session, world):
    dossier, document = world["dossier"], world["document"]
    log_in(client, world["officer"])
    page = client.get(f"/workbench/{dossier.code}").get_data(as_text=True)
    link = page.split(f'/workbench/{dossier.code}/documents/{document.id}?t=')[1].split('"')[0]
    response = client.get(f"/workbench/{dossier.code}/documents/{document.id}?t={link}")
    assert response.status_code == 200 and response.data == world["data"] and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert len(_views(session, document)) == 1
    # an expired or altered link serves nothing: back to the dossier page, which makes fresh links
    refused = client.get(f"/workbench/{dossier.code}/documents/{document.id}?t=nope")
    assert refused.status_code == 303 and refused.headers["Location"].endswith(f"/workbench/{dossier.code}#scans")
    assert refused.data != world["data"] and len(_views(session, document)) == 1


def test_another_agencys_officer_gets_not_found_on_the_page(client, session, world):
    dossier, document = world["dossier"], world["document"]
    token = scans.sign_link(client.application.config["SECRET_KEY"], document_id=document.id,
                            officer_id=world["stranger"].id)
    log_in(client, world["stranger"])
    assert client.get(f"/workbench/{dossier.code}/documents/{document.id}?t={token}").status_code == 404
    assert _views(session, document) == []
