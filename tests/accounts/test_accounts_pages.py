"""Account pages through the test client: login, registration, activation, reset, postal staff's citizen flow."""
import re

from sqlalchemy import select

from postal_gateway.accounts.models import OneTimeCode, Role, User
from tests import codes, factories
from tests.identity_cards import card_form


def last_code(session, recipient: str) -> str:
    session.expire_all()
    return codes.last_code(session, recipient)


def login(client, identifier, password=factories.DEFAULT_PASSWORD):
    return client.post("/login", data={"identifier": identifier, "password": password})


def test_login_page_has_reset_link_and_logs_in(client, session):
    factories.user(session, email="hoa@example.vn")
    session.commit()
    page = client.get("/login").get_data(as_text=True)
    assert "/password/forgot" in page and "Quên mật khẩu" in page
    assert login(client, "hoa@example.vn", "sai-mat-khau").status_code == 401
    response = login(client, "HOA@example.vn")
    assert response.status_code == 302


def test_register_page_marks_required_fields(client):
    page = client.get("/register").get_data(as_text=True)
    for name in ("full_name", "id_number", "phone", "email", "password"):
        assert re.search(rf'<label for="{name}" class="required">', page), name
    assert 'name="accept_terms"' in page and "csrf_token" in page


def test_register_shows_every_error_beside_its_field(client, session):
    response = client.post("/register", data={"full_name": "", "id_number": "12", "phone": "12", "email": "x", "password": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count('class="field-error"') == 6  # five fields and the terms box
    assert 'value="12"' in page  # what was typed is kept
    assert session.scalars(select(User)).all() == []


def test_self_registration_activation_and_login(client, session):
    data = {"full_name": "Nguyễn Thị Hoa", "id_number": "070190001111", "phone": "0912345678",
            "email": "hoa@example.vn", "password": "mat-khau-du-dai", "accept_terms": "yes"}
    response = client.post("/register", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/activate")
    # The same person again (a double tap): the account just made stays the one to activate.
    assert client.post("/register", data=data).status_code == 302
    code = last_code(session, "+84912345678")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/activate", data={"code": wrong})
    assert response.status_code == 422 and "Mã không đúng" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(OneTimeCode)).one().attempts == 1  # the wrong guess was committed
    assert client.post("/activate/resend").status_code == 302  # throttled: flashed, not an error page
    response = client.post("/activate", data={"code": code})
    assert response.status_code == 302
    assert login(client, "070190001111", "mat-khau-du-dai").status_code == 302


def test_inactive_login_goes_to_activation(client, session):
    factories.user(session, email="hoa@example.vn", is_active=False)
    session.commit()
    response = login(client, "hoa@example.vn")
    assert response.status_code == 302 and response.headers["Location"].endswith("/activate")


def test_password_reset_pages(client, session):
    factories.user(session, email="hoa@example.vn", phone="+84912345678")
    session.commit()
    response = client.post("/password/forgot", data={"identifier": "hoa@example.vn"})
    assert response.status_code == 302
    unknown = client.post("/password/forgot", data={"identifier": "ai-do@example.vn"})
    assert unknown.status_code == 302  # the same answer
    code = last_code(session, "+84912345678")
    response = client.post("/password/reset", data={"identifier": "hoa@example.vn", "code": code,
                                                    "new_password": "mat-khau-moi-2026", "confirm_password": "khac-nhau-2026"})
    assert response.status_code == 422 and "không khớp" in response.get_data(as_text=True)
    response = client.post("/password/reset", data={"identifier": "hoa@example.vn", "code": code,
                                                    "new_password": "mat-khau-moi-2026", "confirm_password": "mat-khau-moi-2026"})
    assert response.status_code == 302
    assert login(client, "hoa@example.vn", "mat-khau-moi-2026").status_code == 302


def test_citizen_pages_are_for_postal_staff(client, session):
    factories.user(session, email="dan@example.vn")
    session.commit()
    assert client.get("/citizens").status_code == 302  # to the login page
    login(client, "dan@example.vn")
    assert client.get("/citizens").status_code == 403


def test_staff_registers_a_citizen_who_reads_the_code_out(client, session):
    staff = factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    login(client, "buudien@example.vn")
    response = client.post("/citizens", data={"full_name": "Lê Văn Tám", "id_number": "070080009999",
                                              "phone": "0987 000 111"} | card_form(),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    citizen = session.scalars(select(User).where(User.id_number == "070080009999")).one()
    assert citizen.registered_by_id == staff.id and not citizen.is_active
    page = client.get(f"/citizens/{citizen.id}").get_data(as_text=True)
    assert "Chờ kích hoạt" in page and 'name="code"' in page
    response = client.post(f"/citizens/{citizen.id}/activate", data={"code": last_code(session, "+84987000111")})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, citizen.id).is_active
    # Registering the same ID again leads to the existing account (Điều 6.2).
    again = client.post("/citizens", data={"full_name": "Lê Văn Tám", "id_number": "070 080 009 999", "phone": "0987 000 111"})
    assert again.headers["Location"].endswith(f"/citizens/{citizen.id}")
    found = client.get("/citizens?q=0987000111").get_data(as_text=True)
    assert f"/citizens/{citizen.id}" in found


def test_staff_registration_errors_are_shown_on_the_page(client, session):
    factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    session.commit()
    login(client, "buudien@example.vn")
    response = client.post("/citizens", data={"full_name": "", "id_number": "", "phone": ""})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('class="field-error"') == 5  # with the card's issue date and photo


def test_activated_citizen_page_leads_to_consent_when_that_step_exists(app, client, session):
    factories.user(session, role=Role.postal_staff, email="buudien@example.vn")
    citizen = factories.user(session)
    session.commit()
    login(client, "buudien@example.vn")
    page = client.get(f"/citizens/{citizen.id}").get_data(as_text=True)
    if "consents.start" in app.view_functions:
        from flask import url_for

        with app.test_request_context():
            assert url_for("consents.start", citizen_id=citizen.id) in page
    else:
        assert "ủy quyền" not in page
    assert client.get("/citizens/99999999999").status_code == 404


def test_users_create_command(app, session):
    factories.post_office(session, code="830100")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "postal_staff", "bao@buudien.vn", "Phạm Quốc Bảo",
                                 "--post-office", "830100", "--password", "mat-khau-du-dai"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    user = session.scalars(select(User).where(User.email == "bao@buudien.vn")).one()
    assert user.role == Role.postal_staff and user.is_active
    bad = runner.invoke(args=["users", "create", "postal_staff", "x", "Y", "--post-office", "nope", "--password", "short"])
    assert bad.exit_code != 0 and "post_office_code" in bad.output
