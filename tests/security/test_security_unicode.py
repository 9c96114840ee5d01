"""NFD and NFC spellings of the same Vietnamese text are one text: stored as NFC on the way in, folded for
search (Nghị định 13/2023/NĐ-CP aside, R-01 asks for the full name "exactly as on the ID card")."""
import unicodedata
from datetime import timedelta

from sqlalchemy import select

from postal_gateway.accounts import services
from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Procedure
from postal_gateway.catalogue.services import search_procedures
from postal_gateway.consents import services as consents
from postal_gateway.core.db import utcnow
from postal_gateway.core.unicode_text import fold, to_nfc
from tests import factories
from tests.identity_cards import card_document


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_the_helper_composes_and_folds_either_spelling():
    assert nfd("Nguyễn") != nfc("Nguyễn") and to_nfc(nfd("Nguyễn")) == nfc("Nguyễn")
    assert fold(nfd("Đặng Thị Ngọc Ánh")) == fold(nfc("Đặng Thị Ngọc Ánh")) == "dang thi ngoc anh"
    assert fold("Ｃấp") == "cap"  # full-width letters from some phone keyboards


def test_a_citizen_registered_in_nfd_is_stored_in_nfc_and_found_by_either(session):
    staff = factories.user(session, role=Role.postal_staff)
    citizen = services.register_citizen(
        session, registered_by=staff, full_name=nfd("Nguyễn Thị Hoà"), id_number="070190001111",
        phone="0912345678", email=None, address=nfd("12 Trần Hưng Đạo, phường Đồng Xoài"), id_document=card_document(),
    )
    session.commit()
    session.expire_all()
    stored = session.get(User, citizen.id)
    assert stored.full_name == nfc("Nguyễn Thị Hoà") and stored.address == nfc("12 Trần Hưng Đạo, phường Đồng Xoài")
    assert session.scalar(select(User.id).where(User.full_name == nfc("Nguyễn Thị Hoà"))) == citizen.id


def test_every_area_stores_nfc_through_the_orm(session):
    agency = factories.agency(session, name=nfd("Sở Khoa học và Công nghệ"))
    procedure = factories.procedure(session, agency, name=nfd("Cấp giấy phép bưu chính"))
    office = factories.post_office(session, name=nfd("Bưu cục Đồng Xoài"))
    session.commit()
    session.expire_all()
    assert session.get(Procedure, procedure.id).name == nfc("Cấp giấy phép bưu chính")
    assert agency.name == nfc("Sở Khoa học và Công nghệ") and office.name == nfc("Bưu cục Đồng Xoài")


def test_catalogue_search_ignores_accents_and_the_spelling_of_either_side(session):
    agency = factories.agency(session)
    stored_nfd = factories.procedure(session, agency, name=nfd("Cấp giấy phép bưu chính"))
    for query in (nfc("giấy phép bưu"), nfd("giấy phép bưu"), "giay phep buu", "GIAY PHEP BUU"):
        assert [p.id for p in search_procedures(session, q=query).items] == [stored_nfd.id], query


def test_a_revocation_reason_written_by_bulk_update_is_nfc_too(session):
    citizen = factories.user(session)
    staff = factories.user(session, role=Role.postal_staff)
    consent = factories.consent(session, citizen, staff)
    consents.revoke_consent(session, consent, by=staff, reason=nfd("Công dân đổi ý"), now=utcnow() + timedelta(seconds=1))
    session.commit()
    session.expire_all()
    assert consents.get_consent(session, consent.id).revocation_reason == nfc("Công dân đổi ý")
