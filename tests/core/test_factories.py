"""The test-data factories: rows land in the test's session, and each role gets what the ``users``
table's CHECK constraints require, whether a test calls a builder or a factory."""
import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import IdKind, Role
from postal_gateway.catalogue.models import PostOffice
from postal_gateway.consents.models import ConsentScope
from tests import factories


def test_a_factory_needs_the_tests_session():
    with pytest.raises(TypeError, match="session"):
        factories.AgencyFactory()


def test_each_role_gets_the_rows_its_constraints_require(session):
    citizen = factories.UserFactory(session=session)
    assert citizen.id is not None and citizen.id_kind == IdKind.citizen_id and citizen.id_number.startswith("0701")
    clerk = factories.UserFactory(session=session, role=Role.agency_staff)
    assert clerk.agency_id is not None and clerk.post_office_id is None and clerk.id_number is None
    worker = factories.user(session, Role.postal_staff)
    assert worker.post_office_id is not None and worker.agency_id is None
    assert factories._fast_hasher.verify(worker.password_hash, factories.DEFAULT_PASSWORD)
    assert factories.user(session, password=None).password_hash is None


def test_a_named_post_office_is_used_and_no_spare_one_is_made(session):
    office = factories.post_office(session)
    worker = factories.user(session, Role.postal_staff, post_office_id=office.id)
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, ("Tờ khai",))
    dossier = factories.dossier(session, agency, procedure, factories.user(session), post_office_id=office.id)
    assert worker.post_office_id == dossier.post_office_id == office.id
    assert session.scalar(select(func.count()).select_from(PostOffice)) == 1
    assert [item.name for item in procedure.checklist] == ["Tờ khai"]


def test_builders_keep_their_defaults(session):
    postal = factories.postal_dossier(session)
    assert postal.received_at == postal.entered_at == postal.processing_start_at
    assert postal.post_office_id == postal.submitted_by.post_office_id and postal.postage_vnd == 30_000
    assert postal.code.startswith(postal.agency.code + "-")
    citizen, staff = factories.user(session), factories.user(session, Role.postal_staff)
    single = factories.consent(session, citizen, staff, scope=ConsentScope.single_dossier)
    assert (single.valid_until - single.valid_from).days == 7 and single.post_office_id == staff.post_office_id
    contract = factories.contract(session, postal.agency, number="HĐ-01/2026")
    assert contract.number == "HĐ-01/2026"
