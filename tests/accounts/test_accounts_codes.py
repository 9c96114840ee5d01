"""One-time codes: 5-minute life, 5 attempts, resend throttling, only a keyed hash stored."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from postal_gateway.accounts.models import CodePurpose, OneTimeCode, Role
from postal_gateway.accounts.one_time_codes import issue_code, verify_code
from postal_gateway.core.domain import InvalidInput, TooManyAttempts
from postal_gateway.notifications.models import OutboxMessage
from tests import factories
from tests.codes import last_code

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 09:00 in Vietnam


def sent_code(session, user) -> str:
    return last_code(session, user_id=user.id)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture()
def citizen(session):
    return factories.user(session, is_active=False)


def test_code_is_sent_by_sms_and_consumed_once(session, citizen):
    row = issue_code(session, citizen, CodePurpose.activation, now=T0)
    message = session.scalars(select(OutboxMessage)).one()
    assert message.recipient == citizen.phone and message.channel.value == "sms"
    assert "kich hoat" in message.body
    code = sent_code(session, citizen)
    assert verify_code(session, citizen, CodePurpose.activation, code, now=T0 + timedelta(minutes=1)).id == row.id
    assert row.consumed_at is not None
    with pytest.raises(InvalidInput):
        verify_code(session, citizen, CodePurpose.activation, code, now=T0 + timedelta(minutes=2))


def test_code_by_email_goes_to_the_address(session, citizen):
    issue_code(session, citizen, CodePurpose.password_reset, channel="email", now=T0)
    message = session.scalars(select(OutboxMessage)).one()
    assert message.recipient == citizen.email and message.channel.value == "email"
    assert "mật khẩu" in message.body  # e-mail keeps the accents


def test_only_a_keyed_hash_is_stored(session, citizen):
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    session.commit()
    code = sent_code(session, citizen)
    row = session.scalars(select(OneTimeCode)).one()
    assert code not in row.code_hash and row.code_hash.startswith("hmac-sha256$")
    # Nowhere in the code table, whatever column: dump it as text.
    dump = session.execute(text("SELECT row_to_json(c)::text FROM one_time_codes c")).scalars().all()
    assert all(code not in line for line in dump)


def test_code_expires_after_five_minutes(session, citizen):
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    code = sent_code(session, citizen)
    with pytest.raises(InvalidInput) as caught:
        verify_code(session, citizen, CodePurpose.activation, code, now=T0 + timedelta(minutes=5))
    assert caught.value.message.startswith("Mã đã hết hạn")
    assert verify_code(session, citizen, CodePurpose.activation, code, now=T0 + timedelta(minutes=4, seconds=59))


def test_five_wrong_attempts_kill_the_code(session, citizen):
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    session.commit()
    code = sent_code(session, citizen)
    for attempt in range(1, 5):
        with pytest.raises(InvalidInput) as caught:
            verify_code(session, citizen, CodePurpose.activation, wrong(code), now=T0)
        assert caught.value.params["left"] == 5 - attempt
        session.commit()  # what the web layer does on a wrong code
    with pytest.raises(TooManyAttempts):
        verify_code(session, citizen, CodePurpose.activation, wrong(code), now=T0)
    session.commit()
    session.expire_all()
    assert session.scalars(select(OneTimeCode)).one().attempts == 5
    with pytest.raises(TooManyAttempts):  # even the right code is refused now
        verify_code(session, citizen, CodePurpose.activation, code, now=T0)


def test_badly_formed_code_is_not_counted(session, citizen):
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    for typed in ("", "12345", "abcdef", "1234567"):
        with pytest.raises(InvalidInput):
            verify_code(session, citizen, CodePurpose.activation, typed, now=T0)
    assert session.scalars(select(OneTimeCode)).one().attempts == 0


def test_new_code_invalidates_the_previous_one(session, citizen):
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    first = sent_code(session, citizen)
    issue_code(session, citizen, CodePurpose.activation, now=T0 + timedelta(seconds=61))
    second = sent_code(session, citizen)
    if first != second:  # one chance in a million that they are equal
        with pytest.raises(InvalidInput):
            verify_code(session, citizen, CodePurpose.activation, first, now=T0 + timedelta(seconds=62))
    assert verify_code(session, citizen, CodePurpose.activation, second, now=T0 + timedelta(seconds=63))


def test_codes_are_bound_to_their_purpose_and_subject(session, citizen):
    issue_code(session, citizen, CodePurpose.consent, subject_id=7, now=T0)
    code = sent_code(session, citizen)
    assert "uy quyen" in session.scalars(select(OutboxMessage)).one().body
    with pytest.raises(InvalidInput):
        verify_code(session, citizen, CodePurpose.activation, code, now=T0)
    with pytest.raises(InvalidInput):
        verify_code(session, citizen, CodePurpose.consent, code, subject_id=8, now=T0)
    assert verify_code(session, citizen, CodePurpose.consent, code, subject_id=7, now=T0)


def test_resend_waits_sixty_seconds(session, citizen):
    issue_code(session, citizen, CodePurpose.activation, now=T0)
    with pytest.raises(TooManyAttempts) as caught:
        issue_code(session, citizen, CodePurpose.activation, now=T0 + timedelta(seconds=20))
    assert caught.value.retry_after_seconds == 40
    issue_code(session, citizen, CodePurpose.activation, now=T0 + timedelta(seconds=60))


def test_at_most_five_codes_an_hour(session, citizen):
    for minute in range(0, 50, 10):
        issue_code(session, citizen, CodePurpose.activation, now=T0 + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts) as caught:
        issue_code(session, citizen, CodePurpose.activation, now=T0 + timedelta(minutes=50))
    assert caught.value.retry_after_seconds == 10 * 60  # the first of the five leaves the window at 60 min
    issue_code(session, citizen, CodePurpose.activation, now=T0 + timedelta(minutes=60, seconds=1))
    # Another purpose has its own allowance.
    issue_code(session, citizen, CodePurpose.password_reset, now=T0 + timedelta(minutes=50))


def test_no_phone_means_no_sms(session):
    staff = factories.user(session, role=Role.operator, phone="")
    with pytest.raises(InvalidInput) as caught:
        issue_code(session, staff, CodePurpose.password_reset, now=T0)
    assert caught.value.field_errors[0].field == "phone"
