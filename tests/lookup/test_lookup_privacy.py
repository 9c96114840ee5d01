"""The public lookup by ID number protects the person (Nghị định 13/2023/NĐ-CP) while keeping both lookups
that seed 003 and R-19 promise: by dossier code, the fields of Điều 17 in full; by ID number, the same list
with the applicant's name masked until the holder proves the number is theirs with a one-time code sent to
the phone on file, or logs in."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.lookup import holder_proof, ratelimit
from postal_gateway.notifications.models import OutboxMessage
from tests import factories
from tests.codes import last_code
from tests.conftest import log_in

ID_NUMBER = "001098765432"
FULL_NAME = "Nguyễn Văn Dân"


@pytest.fixture(autouse=True)
def _fresh_counts():
    ratelimit.reset_all()
    yield
    ratelimit.reset_all()


@pytest.fixture()
def holder(session):
    citizen = factories.user(session, Role.citizen, full_name=FULL_NAME, id_number=ID_NUMBER, phone="+84922222222")
    dossier = factories.postal_dossier(session, citizen=citizen)
    session.commit()
    return citizen, dossier


def by_id(client, **extra):
    return client.post("/lookup", data={"id_number": ID_NUMBER, **extra})


def codes_sent(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.template == "one_time_code"))


def test_masked_name_keeps_the_family_name_and_initials():
    assert holder_proof.masked_name("Nguyễn Văn An") == "Nguyễn V. A."
    assert holder_proof.masked_name("Lê Thị Hồng Nhung") == "Lê T. H. N."
    assert holder_proof.masked_name("An") == "An"


def test_by_code_the_r19_fields_in_full__dieu_17(client, holder):
    _citizen, dossier = holder
    html = client.get(f"/lookup?code={dossier.code}").get_data(as_text=True)
    assert FULL_NAME in html


def test_by_id_number_a_stranger_sees_the_list_with_names_masked(client, holder):
    _citizen, dossier = holder
    response = by_id(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert dossier.shipment_number in html and "Nguyễn V. D." in html
    assert FULL_NAME not in html
    api = client.post("/api/v1/lookup", json={"id_number": ID_NUMBER}).get_json()["dossiers"]
    assert api[0]["applicant_name"] == "Nguyễn V. D."


def test_the_holder_sees_full_names_after_the_one_time_code_sent_to_the_phone_on_file(client, session, holder):
    citizen, _dossier = holder
    sent = by_id(client, action="send_proof")
    assert sent.status_code == 200 and 'name="otp"' in sent.get_data(as_text=True)
    code = last_code(session, user_id=citizen.id)
    proven = by_id(client, action="confirm_proof", otp=code)
    assert proven.status_code == 200 and FULL_NAME in proven.get_data(as_text=True)
    # the proof lasts on this browser for a while: a new lookup shows names too
    assert FULL_NAME in by_id(client).get_data(as_text=True)
    # another browser has proven nothing
    assert FULL_NAME not in by_id(client.application.test_client()).get_data(as_text=True)


def test_a_wrong_code_shows_nothing_more_and_is_counted(client, session, holder):
    citizen, _dossier = holder
    by_id(client, action="send_proof")
    code = last_code(session, user_id=citizen.id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = by_id(client, action="confirm_proof", otp=wrong)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and FULL_NAME not in html
    assert "không đúng hoặc đã hết hạn" in html


def test_an_unknown_number_gets_the_same_answer_and_no_code_goes_out(client, session, holder):
    """Asking for a code tells a stranger nothing: the same page whether or not the number has an account."""
    before = codes_sent(session)
    unknown = client.post("/lookup", data={"id_number": "001099999999", "action": "send_proof"})
    known = by_id(client.application.test_client(), action="send_proof")
    assert codes_sent(session) == before + 1
    assert "Nếu số giấy tờ này có tài khoản" in known.get_data(as_text=True)
    assert unknown.status_code == 404  # no dossier for that number, as a plain lookup says
    confirm = client.post("/lookup", data={"id_number": "001099999999", "action": "confirm_proof", "otp": "123456"})
    assert confirm.status_code == 422 and "không đúng hoặc đã hết hạn" in confirm.get_data(as_text=True)


def test_a_signed_in_citizen_sees_their_own_names_without_a_code(client, holder):
    citizen, _dossier = holder
    log_in(client, citizen)
    assert FULL_NAME in by_id(client).get_data(as_text=True)


def test_a_signed_in_citizen_sees_others_masked(client, session, holder):
    other = factories.user(session, Role.citizen)
    session.commit()
    log_in(client, other)
    assert FULL_NAME not in by_id(client).get_data(as_text=True)


def test_asking_codes_is_limited_per_client(client, holder):
    for _ in range(ratelimit.by_proof.capacity):
        by_id(client, action="send_proof")
    assert by_id(client, action="send_proof").status_code == 429
