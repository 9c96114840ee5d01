"""R-01 use cases: registration (every bad field at once), duplicates, activation, login, password reset."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from postal_gateway.accounts import services
from postal_gateway.accounts.models import IdKind, Role, User
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.notifications.models import OutboxMessage
from tests import codes, factories
from tests.identity_cards import card_document

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
GOOD = dict(
    full_name="Nguyễn Thị Hoa",
    id_number="070190001111",
    phone="0912 345 678",
    email="Hoa.Nguyen@example.vn",
    password="mat-khau-du-dai",
)


def last_code(session, recipient: str) -> str:
    return codes.last_code(session, recipient)


def test_registration_stores_normalised_values_and_sends_activation_code(session):
    user = services.register_citizen(session, **GOOD, now=T0)
    assert (user.role, user.id_kind, user.id_number, user.phone, user.email) == (
        Role.citizen, IdKind.citizen_id, "070190001111", "+84912345678", "hoa.nguyen@example.vn"
    )
    assert user.is_active is False and user.password_hash and "mat-khau" not in user.password_hash
    message = session.scalars(select(OutboxMessage)).one()
    assert message.recipient == "+84912345678" and message.template == "one_time_code"


def test_registration_reports_every_bad_field_at_once(session):
    with pytest.raises(InvalidInput) as caught:
        services.register_citizen(
            session, full_name="  ", id_number="123", phone="0283 822 1234", email="not-an-email", password="short",
            terms_accepted=False,
        )
    fields = {error.field for error in caught.value.field_errors}
    assert fields == {"full_name", "id_number", "phone", "email", "password", "accept_terms"}
    assert session.scalars(select(User)).all() == []
    assert session.scalars(select(OutboxMessage)).all() == []


def test_activation_code_by_email_when_asked(session):
    services.register_citizen(session, **GOOD, activation_channel="email", now=T0)
    assert session.scalars(select(OutboxMessage)).one().recipient == "hoa.nguyen@example.vn"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"id_number": "070 190 001 111"}, "id_number"), ({"email": "HOA.NGUYEN@example.vn"}, "email")],
)
def test_duplicates_are_conflicts_naming_the_field(session, change, field):
    services.register_citizen(session, **GOOD, now=T0)
    other = dict(GOOD, id_number="070190002222", email="khac@example.vn") | change
    with pytest.raises(Conflict) as caught:
        services.register_citizen(session, **other, now=T0)
    assert [error.field for error in caught.value.field_errors] == [field]


@pytest.mark.slow
def test_activation_then_login(session):
    user = services.register_citizen(session, **GOOD, now=T0)
    with pytest.raises(services.AccountNotActive):
        services.authenticate(session, "hoa.nguyen@example.vn", GOOD["password"])
    services.activate_account(session, user, last_code(session, "+84912345678"), now=T0 + timedelta(minutes=2))
    assert user.is_active and user.activated_at == T0 + timedelta(minutes=2)
    assert services.authenticate(session, "070.190.001.111", GOOD["password"]) is user
    assert services.authenticate(session, " HOA.NGUYEN@example.vn ", GOOD["password"]) is user
    with pytest.raises(Conflict):
        services.activate_account(session, user, "000000", now=T0)


@pytest.mark.parametrize(("identifier", "password"), [("hoa.nguyen@example.vn", "sai-mat-khau-roi"), ("khong-co@example.vn", "x" * 12), ("", "")])
def test_wrong_credentials(session, identifier, password):
    factories.user(session, email="hoa.nguyen@example.vn")
    with pytest.raises(services.InvalidCredentials) as caught:
        services.authenticate(session, identifier, password)
    assert not isinstance(caught.value, services.AccountNotActive)


def test_password_reset(session):
    user = factories.user(session, phone="+84912345678", email="hoa@example.vn")
    services.request_password_reset(session, "hoa@example.vn", now=T0)
    code = last_code(session, "+84912345678")
    with pytest.raises(InvalidInput) as caught:
        services.reset_password(session, "hoa@example.vn", code, "ngan", confirm_password="khac", now=T0)
    assert {e.field for e in caught.value.field_errors} == {"new_password", "confirm_password"}
    services.reset_password(session, "hoa@example.vn", code, "mat-khau-moi-2026", now=T0 + timedelta(minutes=1))
    assert services.authenticate(session, "hoa@example.vn", "mat-khau-moi-2026") is user


def test_password_reset_never_reveals_whether_the_account_exists(session):
    factories.user(session, email="hoa@example.vn")
    assert services.request_password_reset(session, "khong-co@example.vn", now=T0) is None
    assert session.scalars(select(OutboxMessage)).all() == []
    services.request_password_reset(session, "hoa@example.vn", now=T0)
    # Throttled silently: the same answer as for an unknown account.
    assert services.request_password_reset(session, "hoa@example.vn", now=T0 + timedelta(seconds=5)) is None
    assert len(session.scalars(select(OutboxMessage)).all()) == 1
    with pytest.raises(InvalidInput) as caught:
        services.reset_password(session, "khong-co@example.vn", "123456", "mat-khau-moi-2026", now=T0)
    assert caught.value.field_errors[0].field == "code"


def test_staff_registration_finds_the_existing_account(session):
    staff = factories.user(session, role=Role.postal_staff)
    first, created = services.find_or_register_citizen(
        session, registered_by=staff, full_name="Lê Văn Tám", id_number="070080009999", phone="0987 000 111", email="",
        id_document=card_document(),
    )
    assert created and first.registered_by_id == staff.id and first.password_hash is None and first.email is None
    again, created = services.find_or_register_citizen(
        session, registered_by=staff, full_name="Le Van Tam", id_number="070 080 009 999", phone="0987000222", email=""
    )
    assert not created and again.id == first.id and again.phone == "+84987000111"


def test_only_postal_staff_register_on_behalf(session):
    agency_staff = factories.user(session, role=Role.agency_staff)
    with pytest.raises(Forbidden):
        services.register_citizen(session, registered_by=agency_staff, full_name="Lê Văn Tám",
                                  id_number="070080009999", phone="0987000111", email="")


def test_find_citizens_by_exact_id_or_phone_only(session):
    hoa = factories.user(session, full_name="Nguyễn Thị Hoa", id_number="070190001111", phone="+84912345678")
    factories.user(session, full_name="Trần Văn Bình", id_number="070085002222", phone="+84987654321")
    staff = factories.user(session, role=Role.postal_staff, full_name="Nguyễn Thị Hoa Bưu Điện")
    assert services.find_citizens(session, "070 190 001 111", searched_by=staff) == [hoa]
    assert services.find_citizens(session, "0912 345 678", searched_by=staff) == [hoa]
    assert services.find_citizens(session, "thị hoa", searched_by=staff) == []
    assert services.find_citizens(session, "%", searched_by=staff) == []
    assert services.find_citizens(session, "x", searched_by=staff) == []


def test_create_staff_user_checks_office_and_agency(session):
    office = factories.post_office(session, code="830100")
    agency = factories.agency(session, code="000.00.20.H10")
    postal = services.create_staff_user(session, Role.postal_staff, "Phạm Bảo", "bao@buudien.vn", "mat-khau-du-dai", post_office_code="830100")
    assert postal.is_active and postal.post_office_id == office.id
    admin = services.create_staff_user(session, Role.agency_admin, "Vũ Thắng", "thang@stttt.gov.vn", "mat-khau-du-dai", agency_code="000.00.20.H10")
    assert admin.agency_id == agency.id
    with pytest.raises(InvalidInput) as caught:
        services.create_staff_user(session, Role.postal_staff, "", "bad", "short", post_office_code="999999")
    assert {e.field for e in caught.value.field_errors} == {"full_name", "email", "password", "post_office_code"}
    with pytest.raises(Conflict):
        services.create_staff_user(session, Role.operator, "Khác", "BAO@buudien.vn", "mat-khau-du-dai")


@pytest.mark.slow
def test_demo_users_are_idempotent(session):
    from postal_gateway.accounts.demo import DEMO_PASSWORD, load_demo_users

    factories.post_office(session, code="830001")
    factories.post_office(session, code="830002")
    factories.agency(session, code="000.00.20.H10")
    lines = load_demo_users(session)
    count = len(session.scalars(select(User)).all())
    assert count == 8 and len(lines) == 8
    manager = session.scalars(select(User).where(User.email == "buudien.truong@demo.buudien.vn")).one()
    assert manager.role == Role.office_manager and manager.post_office.code == "830001"  # the first office, Đồng Xoài
    assert load_demo_users(session) == lines
    assert len(session.scalars(select(User)).all()) == count
    assert services.authenticate(session, "070085001234", DEMO_PASSWORD).role == Role.citizen
    for user in session.scalars(select(User).where(User.role == Role.citizen)):
        assert services.find_citizen_by_id_number(session, user.id_number) is user  # IDs pass validation


@pytest.mark.parametrize("field", ["full_name", "organisation_name", "address"])
def test_nul_characters_are_refused_not_a_database_error(session, field):
    with pytest.raises(InvalidInput) as caught:
        services.register_citizen(session, **(GOOD | {field: "Hoa\x00Nguyen"}), now=T0)
    assert [e.field for e in caught.value.field_errors] == [field]


def test_search_and_login_survive_odd_input(session):
    staff = factories.user(session, role=Role.postal_staff)
    assert services.find_citizens(session, "\x00\x00abc", searched_by=staff) == []
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(session, "a\x00b@example.vn", "x")
    with pytest.raises(NotFound):
        services.get_citizen(session, 10**12)
