"""Sessions end when they should: a cookie copied before log-out, a password reset, a role change
or a deactivation no longer works, and API tokens die with a change of credentials."""
from __future__ import annotations

import pytest

from postal_gateway.accounts import services
from postal_gateway.accounts.models import Role, User
from postal_gateway.accounts.tokens import issue_token
from tests import factories
from tests.codes import last_code
from tests.conftest import log_in

STAFF_PAGE = "/citizens"  # postal staff only: 200 when logged in, 302 to /login otherwise
STAFF_API = "/api/v1/citizens?q=0912345678"


@pytest.fixture()
def staff(session):
    user = factories.user(session, Role.postal_staff, email="buudien@example.vn", phone="+84912000111")
    session.commit()
    return user


def copy_of_cookie(app, client):
    """A second browser holding a copy of the first one's session cookie, as a thief would."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def is_logged_in(client) -> bool:
    response = client.get(STAFF_PAGE)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def api_status(app, raw: str) -> int:
    """The status of a staff API call with this token, from a client holding no cookie."""
    return app.test_client().get(STAFF_API, headers={"Authorization": f"Bearer {raw}"}).status_code


def reload(session, user: User) -> User:
    session.expire_all()
    return session.get(User, user.id)


def test_cookie_copied_before_logout_stops_working(app, client, session, staff):
    log_in(client, staff)
    thief = copy_of_cookie(app, client)
    assert is_logged_in(thief)
    assert client.post("/logout").status_code == 302
    assert not is_logged_in(thief)
    assert not is_logged_in(client)


def test_logout_ends_sessions_on_every_device_but_keeps_api_tokens(app, client, session, staff):
    raw, _row = issue_token(session, staff)
    session.commit()
    phone = app.test_client()
    log_in(phone, staff)
    log_in(client, staff)
    client.post("/logout")
    assert not is_logged_in(phone)
    # The handheld's token is not a page session: logging out of a browser leaves it alone.
    assert api_status(app, raw) == 200
    # And one can log in again afterwards.
    log_in(client, staff)
    assert is_logged_in(client)


def test_password_reset_ends_sessions_and_tokens(app, client, session, staff):
    raw, _row = issue_token(session, staff)
    session.commit()
    log_in(client, staff)
    thief = copy_of_cookie(app, client)
    services.request_password_reset(session, staff.email)
    session.commit()
    code = last_code(session, staff.phone)
    services.reset_password(session, staff.email, code, "mat-khau-moi-2026")
    session.commit()
    assert not is_logged_in(thief)
    assert not is_logged_in(client)
    assert api_status(app, raw) == 401
    log_in(client, staff, "mat-khau-moi-2026")
    assert is_logged_in(client)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda user: setattr(user, "password_hash", factories._fast_hasher.hash("mat-khau-khac-2026")), id="password"),
        pytest.param(lambda user: setattr(user, "is_active", False), id="deactivation"),
    ],
)
def test_change_of_credentials_ends_sessions_and_tokens(app, client, session, staff, change):
    raw, _row = issue_token(session, staff)
    session.commit()
    log_in(client, staff)
    thief = copy_of_cookie(app, client)
    user = reload(session, staff)
    change(user)
    session.commit()
    # Even once the account is active again, nothing granted before the change comes back.
    user = reload(session, staff)
    user.is_active = True
    session.commit()
    assert not is_logged_in(thief)
    assert api_status(app, raw) == 401


def test_role_change_ends_sessions_and_tokens(app, client, session, staff):
    raw, _row = issue_token(session, staff)
    session.commit()
    log_in(client, staff)
    thief = copy_of_cookie(app, client)
    user = reload(session, staff)
    user.role = Role.operator
    session.commit()
    user.role = Role.postal_staff  # and back: the old session still does not return
    session.commit()
    assert not is_logged_in(thief)
    assert api_status(app, raw) == 401


def test_unchanged_values_end_nothing(app, client, session, staff):
    raw, _row = issue_token(session, staff)
    session.commit()
    log_in(client, staff)
    user = reload(session, staff)
    user.role, user.is_active = Role.postal_staff, True
    session.commit()
    assert is_logged_in(client)
    assert api_status(app, raw) == 200


def test_cookie_without_a_version_counts_as_the_first_one(app, client, session, staff):
    """Cookies issued before versions existed hold only the user id: valid until the first log-out."""
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = str(staff.id)
        cookie_session["_fresh"] = True
    thief = copy_of_cookie(app, client)
    assert is_logged_in(client)
    client.post("/logout")
    assert not is_logged_in(thief)


@pytest.mark.parametrize("forged", ["abc", "1:x", "99999999999:0", ":", "1:-1", ""])
def test_malformed_session_ids_are_anonymous(client, staff, forged):
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = forged
    assert not is_logged_in(client)
