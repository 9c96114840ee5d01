"""Log-in timing must not reveal which accounts exist: the password hasher does the same work
for an unknown identifier, a known one, and an account without a password yet."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from postal_gateway.accounts import passwords, services
from postal_gateway.accounts.models import Role
from tests import factories


class CountingHasher(PasswordHasher):
    """The real argon2 hasher (cheap parameters), counting the expensive calls."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verify_calls = 0
        self.hash_calls = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        self.verify_calls += 1
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        self.hash_calls += 1
        return super().hash(password, salt=salt)


@pytest.fixture()
def hasher(monkeypatch):
    counting = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", counting)
    passwords._dummy_hash.cache_clear()
    passwords._dummy_hash()  # made once per process in real life; not part of any one answer
    counting.hash_calls = 0
    yield counting
    passwords._dummy_hash.cache_clear()


def _verify_calls_for(session, hasher, identifier: str, password: str) -> int:
    before = hasher.verify_calls
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(session, identifier, password)
    return hasher.verify_calls - before


def test_unknown_and_known_accounts_cost_one_verification_each(session, hasher):
    known = factories.user(session, Role.postal_staff, email="that.nhan.vien@example.vn")
    without_password = factories.user(session, password=None)
    session.flush()
    assert _verify_calls_for(session, hasher, "nobody@example.vn", "doan-mo-mat-khau") == 1
    assert _verify_calls_for(session, hasher, known.email, "doan-mo-mat-khau") == 1
    assert _verify_calls_for(session, hasher, without_password.id_number, "doan-mo-mat-khau") == 1
    assert hasher.hash_calls == 0


def test_the_right_password_still_logs_in(session, hasher):
    user = factories.user(session, Role.postal_staff)
    session.flush()
    assert services.authenticate(session, user.email, factories.DEFAULT_PASSWORD).id == user.id
    assert hasher.verify_calls == 1


def test_dummy_hash_never_matches(hasher):
    assert passwords.verify_password(None, "no such account") is False
    assert passwords.verify_password(None, "") is False
