"""Form 04 (Phiếu xin lỗi và hẹn lại ngày trả kết quả) and form 02 at processing: who may apologise, the
one-stop office's forwarding, the second supplement request and its apology, and the refusals of bad input
with nothing changed (PostgreSQL; the article in each test's name)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.dossiers.models import Dossier
from postal_gateway.dossiers.models import DossierStatus as S
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.official_forms.models import OfficialForm
from postal_gateway.workbench import services
from postal_gateway.workbench.models import ApologyLetter, SupplementRequest
from tests import factories


def local(month, day, hour=8, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


#: Monday 7 December 2026, 07:00 in Vietnam: no holiday in the weeks used here
MONDAY = local(12, 7, 7)


@pytest.fixture()
def world(session):
    agency = factories.agency(session, name="Sở Thông tin và Truyền thông Bình Phước")
    cooperating = factories.agency(session, name="Công an tỉnh Bình Phước")
    stranger_agency = factories.agency(session, name="Sở Y tế Bình Phước")
    officer = factories.user(session, Role.agency_staff, agency=agency, full_name="Đỗ Thị Mai")
    colleague = factories.user(session, Role.agency_admin, agency=agency, full_name="Lê Văn Hùng")
    cooperating_officer = factories.user(session, Role.agency_staff, agency=cooperating, full_name="Trần Văn Bình")
    stranger = factories.user(session, Role.agency_staff, agency=stranger_agency)
    procedure = factories.procedure(session, agency, processing_half_days=10, level=3, fee_vnd=0)
    received = calendar.receipt_time(MONDAY)
    dossier = factories.postal_dossier(
        session, procedure=procedure, entered_at=MONDAY, received_at=received,
        processing_start_at=calendar.processing_start(received), due_at=calendar.due_at(received, 5),
        appointment_date=calendar.appointment_date(received, 5),
    )
    session.commit()
    officer_code = dossier.code
    services.receive_from_post(session, officer=officer, code=officer_code, paper_matches=True, now=MONDAY)
    for action in ("transfer", "start_processing"):
        services.advance(session, officer=officer, code=officer_code, action=action, now=MONDAY + timedelta(minutes=5))
    session.commit()
    return {"agency": agency, "cooperating": cooperating, "officer": officer, "colleague": colleague,
            "cooperating_officer": cooperating_officer, "stranger": stranger, "procedure": procedure,
            "dossier": dossier}


def _messages(session, template):
    return session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                           .order_by(OutboxMessage.id)).all()


def _snapshot(session, dossier: Dossier) -> tuple:
    """What a refused step must leave as it was."""
    session.expire_all()
    row = session.get(Dossier, dossier.id)
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return (row.status, row.version, row.appointment_date, row.due_at, count(ApologyLetter), count(OfficialForm),
            count(SupplementRequest), count(OutboxMessage))


def _ask_cooperating(session, world, at):
    opinion = services.ask_opinion(session, officer=world["officer"], code=world["dossier"].code,
                                   agency_code=world["cooperating"].code, question="Xác minh nhân thân",
                                   working_days=2, now=at)
    session.commit()
    return opinion


def _late(world) -> datetime:
    return world["dossier"].due_at + timedelta(days=1)


# --- who may write form 04 ----------------------------------------------------------------------------------


def test_apology_by_agency_outside_procedure_forbidden_nothing_changed__dieu_9_3_d_10_2_g(session, world):
    """Điều 9.3.d, 10.2.g: a body that neither handles the dossier nor was asked for its opinion cannot write
    form 04, whatever issuer it claims; the error names the articles and nothing changes."""
    dossier, late = world["dossier"], _late(world)
    before = _snapshot(session, dossier)
    attempts = [
        (world["stranger"], "processing_agency"),
        (world["stranger"], "cooperating_agency"),
        (world["cooperating_officer"], "cooperating_agency"),  # not asked for an opinion (yet)
        (world["officer"], "cooperating_agency"),  # the lead agency is not a cooperating agency
    ]
    for officer, kind in attempts:
        with pytest.raises(Forbidden) as refused:
            services.issue_apology(session, officer=officer, code=dossier.code, reason="Chậm", issuer_kind=kind,
                                   new_date=date(2026, 12, 28), now=late)
        assert "Điều 9.3.d, 10.2.g" in refused.value.message
        session.rollback()
    assert _snapshot(session, dossier) == before


def test_apology_by_cooperating_agency_sent_to_lead_agency__dieu_10_2_g(session, world):
    """Điều 10.2.g: the cooperating agency that was asked for its opinion writes its own form 04, numbered in its
    sequence; the lead agency's officers are told; the citizen hears of it when the one-stop office forwards it."""
    dossier = world["dossier"]
    opinion = _ask_cooperating(session, world, MONDAY + timedelta(hours=2))
    late = _late(world)
    letter = services.issue_apology(session, officer=world["cooperating_officer"], code=dossier.code,
                                    issuer_kind="cooperating_agency", reason="Chờ xác minh nhân thân",
                                    new_date=date(2026, 12, 28), now=late)
    session.commit()
    assert (letter.issuer_kind, letter.issuer_agency_id, letter.opinion_request_id) == (
        "cooperating_agency", world["cooperating"].id, opinion.id)
    assert letter.form.agency_id == world["cooperating"].id and letter.form.data["number_line"] == "Số: 1/PXL"
    assert letter.form.data["issuer_name"] == "Công an tỉnh Bình Phước"
    assert letter.lead_agency_notified_at == late
    told = {message.recipient_user_id for message in _messages(session, "apology_for_lead_agency")}
    assert told == {world["officer"].id, world["colleague"].id}
    assert _messages(session, "apology") == [] and letter.forwarded_at is None
    services.forward_apology(session, officer=world["officer"], code=dossier.code, letter_number=letter.number,
                             now=late + timedelta(hours=1), public_base_url="https://dvc.example.vn")
    session.commit()
    sms = [message for message in _messages(session, "apology") if message.channel.value == "sms"][0]
    assert "Cong an tinh Binh Phuoc xin loi" in sms.body
    assert f"https://dvc.example.vn/dossiers/{dossier.code}/forms/{letter.form_id}.pdf" in sms.body


def test_cooperating_officer_reaches_only_through_its_opinion_request__dieu_10_2_g(session, world):
    """Điều 10.2.g: the opinion request is the cooperating agency's only way to the dossier, and only to write
    form 04: the rest of the workbench stays out of its reach."""
    dossier = world["dossier"]
    with pytest.raises(Forbidden):
        services.apology_form_dossier(session, world["cooperating_officer"], dossier.code)
    assert services.apology_form_dossier(session, world["officer"], dossier.code)[1:] == ("processing_agency", None)
    opinion = _ask_cooperating(session, world, MONDAY + timedelta(hours=2))
    reached, kind, through = services.apology_form_dossier(session, world["cooperating_officer"], dossier.code)
    assert (reached.id, kind, through.id) == (dossier.id, "cooperating_agency", opinion.id)
    with pytest.raises(Forbidden):  # another agency's opinion request is not its way in
        services.apology_dossier(session, world["cooperating_officer"], dossier.code, "cooperating_agency",
                                 opinion.id + 1000)
    with pytest.raises(Exception) as workbench:
        services.officer_dossier(session, world["cooperating_officer"], dossier.code)
    assert workbench.type.__name__ == "NotFound"


def test_one_stop_office_apologises_only_for_a_reception_error__dieu_9_4_b_10_2_dd(session, world):
    """Điều 9.3.d, 9.4.b, 10.2.đ (plan D4): the one-stop office's letter is for a reception error, and a reception
    error is the one-stop office's letter; a stand-alone reception-error letter goes with a supplement request."""
    dossier, late = world["dossier"], _late(world)
    before = _snapshot(session, dossier)
    for kind, cause in (("one_stop_office", "late"), ("processing_agency", "reception_error")):
        with pytest.raises(InvalidInput) as refused:
            services.issue_apology(session, officer=world["officer"], code=dossier.code, reason="Chậm",
                                   issuer_kind=kind, cause=cause, new_date=date(2026, 12, 28), now=late)
        assert [error.field for error in refused.value.field_errors] == ["cause"]
        session.rollback()
    with pytest.raises(Conflict) as alone:
        services.issue_apology(session, officer=world["officer"], code=dossier.code, reason="Lỗi tiếp nhận",
                               issuer_kind="one_stop_office", cause="reception_error", new_date=date(2026, 12, 28),
                               now=late)
    assert "Điều 9.4.b, 10.2.đ" in alone.value.message
    session.rollback()
    assert _snapshot(session, dossier) == before


@pytest.mark.parametrize("days", [0, -1])
def test_apology_new_date_before_today_refused_naming_article__dieu_9_4_d(session, world, days):
    """Điều 9.4.d: the new return date is after today; today or earlier is refused on `new_date`, nothing changed."""
    dossier, late = world["dossier"], _late(world)
    before = _snapshot(session, dossier)
    with pytest.raises(InvalidInput) as refused:
        services.issue_apology(session, officer=world["officer"], code=dossier.code, reason="Chờ xác minh",
                               new_date=late.astimezone(VIETNAM).date() + timedelta(days=days), now=late)
    found = [(error.field, "Điều 9.4.d" in error.message) for error in refused.value.field_errors]
    assert found == [("new_date", True)]
    session.rollback()
    assert _snapshot(session, dossier) == before


def test_apology_moves_appointment_not_statistics_due__dieu_9_4_d(session, world):
    """Điều 9.4.d: forwarding records the new date the citizen sees; the due time of the on-time statistics
    never moves. Until forwarded the citizen's appointment stays; a letter is forwarded once."""
    dossier, late = world["dossier"], _late(world)
    due, appointment = dossier.due_at, dossier.appointment_date
    services.issue_apology(session, officer=world["officer"], code=dossier.code, reason="Chờ thẩm định",
                           new_date=date(2026, 12, 28), now=late)
    session.commit()
    assert (dossier.appointment_date, dossier.due_at) == (appointment, due)
    services.forward_apology(session, officer=world["colleague"], code=dossier.code, letter_number=1,
                             now=late + timedelta(hours=2))
    session.commit()
    assert (dossier.appointment_date, dossier.due_at) == (date(2026, 12, 28), due)
    letter = services.apology_letters(session, dossier)[0]
    assert (letter.forwarded_at, letter.forwarded_by_id) == (late + timedelta(hours=2), world["colleague"].id)
    with pytest.raises(Conflict):
        services.forward_apology(session, officer=world["officer"], code=dossier.code, letter_number=1,
                                 now=late + timedelta(hours=3))


def test_form_04_numbered_in_the_issuing_agency_sequence__dieu_10_2_g(session, world):
    """Điều 10.2.g, TT 01/2018: form 04's number runs in the issuing body's sequence for the year, not per
    dossier: the agency's second letter (another dossier) is 2/PXL, the cooperating agency's first is 1/PXL."""
    other = factories.postal_dossier(
        session, procedure=world["procedure"], entered_at=MONDAY, received_at=world["dossier"].received_at,
        processing_start_at=world["dossier"].processing_start_at, due_at=world["dossier"].due_at,
        appointment_date=world["dossier"].appointment_date,
    )
    session.commit()
    services.receive_from_post(session, officer=world["officer"], code=other.code, paper_matches=True, now=MONDAY)
    services.advance(session, officer=world["officer"], code=other.code, action="transfer", now=MONDAY)
    _ask_cooperating(session, world, MONDAY + timedelta(hours=2))
    late = _late(world)
    first = services.issue_apology(session, officer=world["officer"], code=world["dossier"].code, reason="Chậm",
                                   new_date=date(2026, 12, 28), now=late)
    second = services.issue_apology(session, officer=world["officer"], code=other.code, reason="Chậm",
                                    new_date=date(2026, 12, 28), now=late)
    cooperating = services.issue_apology(session, officer=world["cooperating_officer"], code=world["dossier"].code,
                                         issuer_kind="cooperating_agency", reason="Chậm xác minh",
                                         new_date=date(2026, 12, 29), now=late)
    session.commit()
    assert [(letter.number, letter.form.agency_id, letter.form.number) for letter in (first, second, cooperating)] == [
        (1, world["agency"].id, 1), (1, world["agency"].id, 2), (2, world["cooperating"].id, 1)]
    assert second.form.data["number_line"] == "Số: 2/PXL" and second.form.year == 2026


# --- supplements at processing (form 02) ---------------------------------------------------------------------


ITEMS = [{"item": "Bản sao giấy phép", "reason": "Bản sao bị mờ"},
         {"item": "Ảnh chân dung 4x6", "reason": "Chưa nộp"}]


def test_supplement_issues_form_02_listing_every_item_with_its_reason__dieu_12_1_c(session, world):
    """Điều 12.1.c: every item with its reason at once, on form 02 (items without reasons are refused, nothing
    changed); the time already spent counts (Điều 9.3.b)."""
    dossier = world["dossier"]
    before = _snapshot(session, dossier)
    for items in ([], [{"item": "Bản sao giấy phép", "reason": " "}], "Bản sao"):
        with pytest.raises(InvalidInput) as refused:
            services.request_supplement(session, officer=world["officer"], code=dossier.code, items=items,
                                        now=local(12, 8, 9))
        assert any("Điều 12.1.c" in error.message for error in refused.value.field_errors)
        session.rollback()
    assert _snapshot(session, dossier) == before
    request = services.request_supplement(session, officer=world["officer"], code=dossier.code, items=ITEMS,
                                          now=local(12, 8, 9))
    session.commit()
    assert (request.stage, request.cause, request.items, request.apology_letter_id) == (
        "processing", "verification", ITEMS, None)
    form = session.get(OfficialForm, request.form_id)
    assert (form.form_no, form.data["number_line"], form.data["items"]) == (2, "Số: 1/YCBS", ITEMS)
    assert request.spent_seconds > 0 and dossier.status == S.supplement_requested


def test_second_reception_error_supplement_needs_one_stop_apology__dieu_9_4_b_10_2_dd(session, world):
    """Điều 9.4.b, 10.2.đ, 12.1.c: a second request without a verification since is a reception error: refused
    without the one-stop office's form 04 (nothing changed); with it, forms 02 and 04 go out together, the
    letter already forwarded to the citizen."""
    dossier, officer = world["dossier"], world["officer"]
    services.request_supplement(session, officer=officer, code=dossier.code, items=ITEMS[:1], now=local(12, 8, 9))
    services.receive_supplement(session, officer=officer, code=dossier.code, now=local(12, 9, 9))
    session.commit()
    assert services.presumed_supplement_cause(dossier) == "reception_error"
    before = _snapshot(session, dossier)
    with pytest.raises(Conflict) as refused:
        services.request_supplement(session, officer=officer, code=dossier.code, items=ITEMS[1:], now=local(12, 9, 10))
    assert "Điều 9.4.b, 10.2.đ, 12.1.c" in refused.value.message
    session.rollback()
    with pytest.raises(InvalidInput) as disguised:  # calling it a verification does not make it one
        services.request_supplement(session, officer=officer, code=dossier.code, items=ITEMS[1:],
                                    cause="verification", now=local(12, 9, 10))
    assert [error.field for error in disguised.value.field_errors] == ["cause"]
    session.rollback()
    assert _snapshot(session, dossier) == before
    request = services.request_supplement(
        session, officer=officer, code=dossier.code, items=ITEMS[1:], now=local(12, 9, 10),
        apology=services.ApologyInput(date(2026, 12, 23), "Thiếu hướng dẫn nộp ảnh khi tiếp nhận"))
    session.commit()
    letter = session.get(ApologyLetter, request.apology_letter_id)
    assert (request.cause, letter.issuer_kind, letter.cause) == ("reception_error", "one_stop_office",
                                                                "reception_error")
    assert letter.forwarded_at == local(12, 9, 10) and dossier.appointment_date == date(2026, 12, 23)
    assert letter.form.data["issuer_unit"] == "BỘ PHẬN MỘT CỬA" and letter.form.form_no == 4
    assert session.get(OfficialForm, request.form_id).data["number_line"] == "Số: 2/YCBS"
    assert {m.template for m in session.scalars(select(OutboxMessage))} >= {"supplement_requested", "apology"}
    counted = session.scalar(select(func.count()).select_from(SupplementRequest)
                             .where(SupplementRequest.cause == "reception_error"))
    assert counted == 1  # what the statistics count


def test_verification_supplement_allowed_without_apology_time_counts__dieu_9_3_b(session, world):
    """Điều 9.3.b (plan D3, the seed wins): after thẩm tra, xác minh started since the earlier request, a second
    request is a verification request without an apology; the time already spent still counts."""
    dossier, officer = world["dossier"], world["officer"]
    first = services.request_supplement(session, officer=officer, code=dossier.code, items=ITEMS[:1],
                                        now=local(12, 8, 9))
    services.receive_supplement(session, officer=officer, code=dossier.code, now=local(12, 9, 9))
    services.advance(session, officer=officer, code=dossier.code, action="start_verification", now=local(12, 9, 10))
    session.commit()
    assert services.presumed_supplement_cause(dossier) == "verification"
    second = services.request_supplement(session, officer=officer, code=dossier.code, items=ITEMS[1:],
                                         now=local(12, 10, 9))
    session.commit()
    assert (second.cause, second.apology_letter_id) == ("verification", None)
    assert second.spent_seconds > first.spent_seconds
    assert second.spent_seconds + second.remaining_seconds == first.spent_seconds + first.remaining_seconds
