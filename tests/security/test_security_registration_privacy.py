"""The public register page does not confirm who is registered: a taken ID number or e-mail is
answered like a new account, codes tried or asked for behave alike, the timing is alike, and the
page tells the real holder to claim the account at a post office or one-stop office (R-01)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts import passwords, registration_privacy
from postal_gateway.accounts.models import User
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import InvalidInput, TooManyAttempts
from postal_gateway.notifications.models import OutboxMessage
from tests import factories
from tests.codes import last_code
from tests.security.test_security_login_timing import CountingHasher

HOLDER_ID = "070190001111"


def form(id_number: str, email: str, phone: str = "0912345678") -> dict:
    return {
        "full_name": "Nguyễn Thị Hoa", "id_number": id_number, "phone": phone, "email": email,
        "password": "mat-khau-du-dai", "accept_terms": "yes",
    }


@pytest.fixture()
def holder(session):
    user = factories.user(session, id_number=HOLDER_ID, email="chu.that@example.vn", phone="+84987000111")
    session.commit()
    return user


def page_text(response) -> str:
    """The page without what differs on every request anyway (the CSRF token)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def register_and_follow(app, data: dict):
    client = app.test_client()
    posted = client.post("/register", data=data)
    return client, posted, client.get(posted.headers.get("Location", "/activate"))


@pytest.mark.parametrize(
    "taken", [{"id_number": "0701 9000 1111"}, {"email": "Chu.That@example.vn"}], ids=["id_number", "email"]
)
def test_taken_id_or_email_is_answered_like_a_new_account(app, session, holder, taken):
    _, new_post, new_page = register_and_follow(app, form("070190002222", "moi@example.vn"))
    _, taken_post, taken_page = register_and_follow(app, {**form("070190003333", "khac@example.vn"), **taken})
    assert (taken_post.status_code, taken_post.headers["Location"]) == (new_post.status_code, new_post.headers["Location"])
    assert taken_page.status_code == new_page.status_code == 200
    assert page_text(taken_page) == page_text(new_page)
    # Nothing was made or sent for the stranger, and the holder's account is untouched.
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(User).where(User.id_number == "070190003333")) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == "+84912345678")) == 1
    assert session.get(User, holder.id).is_active


def test_the_page_tells_the_holder_where_to_claim_the_account(app, holder):
    _, _, page = register_and_follow(app, form(HOLDER_ID, "khac@example.vn"))
    text = page.get_data(as_text=True)
    assert "bưu cục" in text and "Bộ phận Một cửa" in text and "giấy tờ tùy thân" in text


def test_wrong_codes_and_resends_behave_alike(app, session, holder):
    new_client, _, _ = register_and_follow(app, form("070190002222", "moi@example.vn"))
    taken_client, _, _ = register_and_follow(app, form(HOLDER_ID, "khac@example.vn", phone="0912345679"))

    def outcome(client, path, data=None):
        response = client.post(path, data=data or {})
        if response.status_code == 302:
            response = client.get(response.headers["Location"])
        # The two were registered a moment apart: the seconds left to wait may differ by one.
        text = re.sub(r"\d+ giây", "N giây", page_text(response))
        return response.status_code, re.findall(r'role="alert">([^<]*)<|class="flash[^"]*"[^>]*>([^<]*)<', text)

    steps = [("/activate/resend", None)] + [("/activate", {"code": "000000"})] * 6 + [("/activate", {"code": "12"})]
    for path, data in steps:
        assert outcome(taken_client, path, data) == outcome(new_client, path, data), (path, data)


def test_registration_hashes_the_password_once_either_way(session, holder, monkeypatch):
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    fields = dict(full_name="Nguyễn Thị Hoa", phone="0912345678", password="mat-khau-du-dai")
    assert registration_privacy.register_online(session, id_number="070190002222", email="moi@example.vn", **fields)
    assert hasher.hash_calls == 1
    assert registration_privacy.register_online(session, id_number=HOLDER_ID, email="khac@example.vn", **fields) is None
    assert hasher.hash_calls == 2


def test_stand_in_code_follows_the_real_rules():
    now = utcnow()
    pending = registration_privacy.start_unconfirmed("  Nguyễn   Thị Hoa ", "hoa@example.vn", now=now)
    assert pending.full_name == "Nguyễn Thị Hoa"
    with pytest.raises(TooManyAttempts):  # 60 s between codes
        registration_privacy.resend(pending, now=now + timedelta(seconds=10))
    messages = []
    for _ in range(5):
        with pytest.raises((InvalidInput, TooManyAttempts)) as caught:
            registration_privacy.refuse_code(pending, "123456", now=now)
        messages.append(type(caught.value).__name__)
    assert messages == ["InvalidInput"] * 4 + ["TooManyAttempts"]
    registration_privacy.resend(pending, now=now + timedelta(seconds=61))
    assert pending.attempts == 0
    with pytest.raises(InvalidInput) as caught:
        registration_privacy.refuse_code(pending, "123456", now=now + timedelta(minutes=7))
    assert "hết hạn" in caught.value.message
    for minute in (3, 5, 7):
        registration_privacy.resend(pending, now=now + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts):  # five codes an hour
        registration_privacy.resend(pending, now=now + timedelta(minutes=9))
    registration_privacy.resend(pending, now=now + timedelta(minutes=61))
    restored = registration_privacy.UnconfirmedRegistration.from_session(pending.as_session())
    assert restored == pending
    assert registration_privacy.UnconfirmedRegistration.from_session({"full_name": 1}) is None


@pytest.mark.commits  # two threads, two connections
def test_a_double_tap_keeps_the_account_just_made(app, session):
    client, _, _ = register_and_follow(app, form("070190002222", "moi@example.vn"))
    assert client.post("/register", data=form("0701 9000 2222", "moi@example.vn")).status_code == 302
    code = last_code(session)
    assert client.post("/activate", data={"code": code}).status_code == 302
    session.expire_all()
    assert session.scalars(select(User).where(User.id_number == "070190002222")).one().is_active
