"""The dossier status flow (R-11) as ONE explicit state machine: a table (state, action) -> state.

Every step goes through ``transition``: it refuses an action the table does not allow from the
current state (``IllegalTransition``, naming the state and what is possible), refuses a step taken
on a stale view of the dossier (``expected_version``), records who, when and why in
DossierStatusChange, keeps the statistics' timestamps (settled_at, given_back_at) and emits the
integration event, all in the caller's transaction. The optimistic lock on Dossier.version makes
two officers acting at once end with one winner and one clear Conflict.

Rules that depend on more than the state (fees paid, the due time passed, reasons given) live in
the use cases of postal_gateway.workbench.services, which then call ``transition``.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from postal_gateway.accounts.models import User
from postal_gateway.core.domain import N_, Conflict, Phrase
from postal_gateway.core.outbox import emit
from postal_gateway.dossiers.labels import status_label
from postal_gateway.dossiers.models import Dossier, DossierStatus, DossierStatusChange

S = DossierStatus


class Action(str, enum.Enum):
    #: nộp trực tuyến: the post submits the dossier through the citizen's account (Điều 21.1)
    submit = "submit"
    #: tiếp nhận: the one-stop officer accepts it; the official receipt time (Điều 12.1.d)
    accept = "accept"
    #: chuyển phòng chuyên môn
    transfer = "transfer"
    #: bắt đầu xử lý
    start_processing = "start_processing"
    #: thẩm định / lấy ý kiến liên thông
    start_verification = "start_verification"
    #: xong thẩm định, tiếp tục xử lý
    finish_verification = "finish_verification"
    #: yêu cầu bổ sung (clock stops; the time already spent counts)
    request_supplement = "request_supplement"
    #: đã nhận bổ sung (clock restarts with the time left)
    receive_supplement = "receive_supplement"
    #: từ chối, with written reasons
    reject = "reject"
    #: quá hạn: apology letter with a new date (R-12)
    apologise = "apologise"
    #: có kết quả
    mark_result_ready = "mark_result_ready"
    #: giao kết quả cho bưu chính: the post's return leg holds the result; not yet returned (Điều 25.2)
    hand_to_post = "hand_to_post"
    #: trả kết quả: the return leg's delivery, or collection at the counter; "complete" for level 4
    return_result = "return_result"
    #: công dân rút hồ sơ
    withdraw = "withdraw"
    #: yêu cầu bổ sung, hoàn thiện hồ sơ at reception, before any code (form 02, Điều 12.1.c)
    request_completion = "request_completion"
    #: the completed dossier goes back to reception (Điều 12.2.b "trở lại trình tự tiếp nhận")
    resubmit = "resubmit"
    #: từ chối tiếp nhận (form 03, Điều 9.1.b)
    refuse = "refuse"


#: the states a dossier is still being worked in (not finished, not waiting for the citizen)
WORKING = (S.received, S.transferred, S.in_processing, S.verification, S.overdue)
#: nothing happens after these
FINAL = (S.returned, S.rejected, S.withdrawn, S.refused)

#: (state, action) -> state; None is "no dossier yet". Anything not here is illegal.
TRANSITIONS: dict[tuple[DossierStatus | None, Action], DossierStatus] = {
    (None, Action.submit): S.submitted,
    (S.submitted, Action.accept): S.received,
    (S.submitted, Action.withdraw): S.withdrawn,
    (S.submitted, Action.request_completion): S.completion_requested,
    (S.completion_requested, Action.resubmit): S.submitted,
    (S.completion_requested, Action.withdraw): S.withdrawn,
    (S.submitted, Action.refuse): S.refused,
    (S.received, Action.transfer): S.transferred,
    (S.transferred, Action.start_processing): S.in_processing,
    (S.in_processing, Action.start_verification): S.verification,
    (S.verification, Action.finish_verification): S.in_processing,
    (S.in_processing, Action.mark_result_ready): S.result_ready,
    (S.verification, Action.mark_result_ready): S.result_ready,
    (S.overdue, Action.mark_result_ready): S.result_ready,
    (S.result_ready, Action.hand_to_post): S.result_with_post,
    # at the counter (or a delivery the officer never saw handed over)
    (S.result_ready, Action.return_result): S.returned,
    # the return leg's "delivered" event; or the post gave it back and the citizen collects it at the counter
    (S.result_with_post, Action.return_result): S.returned,
    (S.supplement_requested, Action.receive_supplement): S.in_processing,
    **{(state, Action.request_supplement): S.supplement_requested for state in WORKING},
    **{(state, Action.reject): S.rejected for state in (*WORKING, S.supplement_requested)},
    **{(state, Action.withdraw): S.withdrawn for state in (*WORKING, S.supplement_requested)},
    # Past its due time, still being worked: an apology with a new date; a second one may follow.
    **{(state, Action.apologise): S.overdue for state in WORKING},
}

ACTION_LABELS = {
    Action.submit: N_("nộp hồ sơ"),
    Action.accept: N_("tiếp nhận"),
    Action.transfer: N_("chuyển phòng chuyên môn"),
    Action.start_processing: N_("bắt đầu xử lý"),
    Action.start_verification: N_("thẩm định, lấy ý kiến"),
    Action.finish_verification: N_("kết thúc thẩm định"),
    Action.request_supplement: N_("yêu cầu bổ sung"),
    Action.receive_supplement: N_("nhận hồ sơ bổ sung"),
    Action.reject: N_("từ chối"),
    Action.apologise: N_("xin lỗi, hẹn lại ngày trả"),
    Action.mark_result_ready: N_("báo có kết quả"),
    Action.hand_to_post: N_("giao kết quả cho bưu chính"),
    Action.return_result: N_("trả kết quả"),
    Action.withdraw: N_("rút hồ sơ"),
    Action.request_completion: N_("yêu cầu bổ sung, hoàn thiện hồ sơ"),
    Action.resubmit: N_("nộp lại hồ sơ đã hoàn thiện"),
    Action.refuse: N_("từ chối tiếp nhận"),
}


class IllegalTransition(Conflict):
    """The action is not allowed from the dossier's current state (skipped or repeated step)."""

    def __init__(self, status: DossierStatus | None, action: Action) -> None:
        allowed = [ACTION_LABELS[a] for a in allowed_actions(status)] or [N_("không còn thao tác nào")]
        super().__init__(
            N_('Không thể "%(action)s" khi hồ sơ đang ở trạng thái "%(status)s". Thao tác được phép: %(allowed)s.'),
            params={
                "action": Phrase(ACTION_LABELS[action]),
                "status": Phrase(status_label(status)) if status is not None else "—",
                "allowed": Phrase(*allowed),
            },
        )
        self.status = status
        self.action = action


class StaleDossier(Conflict):
    """Someone else changed the dossier since the officer looked at it."""


def allowed_actions(status: DossierStatus | None) -> list[Action]:
    """What may be done next from ``status``, in the order of the Action enum."""
    return [action for action in Action if (status, action) in TRANSITIONS]


def next_status(status: DossierStatus | None, action: Action) -> DossierStatus:
    """The state ``action`` leads to from ``status``; IllegalTransition if the table has no such step."""
    try:
        return TRANSITIONS[(status, Action(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(status, Action(action)) from None


def _stale() -> StaleDossier:
    return StaleDossier(
        N_("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và thực hiện lại nếu vẫn cần.")
    )


def record_submission(
    session: Session, dossier: Dossier, *, actor: User | None, at: datetime, on_behalf_of: User | None = None
) -> DossierStatusChange:
    """The first step of a new dossier: the post submitted it online (status ``submitted``, Điều
    21.1), with its dossier.submitted event. No receipt yet: the agency accepts it later."""
    if dossier.history:
        raise IllegalTransition(dossier.status, Action.submit)
    dossier.status = next_status(None, Action.submit)
    step = DossierStatusChange(
        from_status=None, to_status=dossier.status, at=at, actor_id=actor.id if actor else None,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None, reason="", action=Action.submit.value, details={},
    )
    dossier.history.append(step)
    emit(session, "dossier.submitted", aggregate_type="dossier", aggregate_id=dossier.shipment_number,
         occurred_at=at, payload={"shipment_number": dossier.shipment_number, "status": dossier.status.value,
                                  "at": at.isoformat()})
    return step


def transition(
    session: Session,
    dossier: Dossier,
    action: Action,
    *,
    actor: User | None,
    at: datetime,
    reason: str = "",
    details: dict | None = None,
    expected_version: int | None = None,
) -> DossierStatusChange:
    """Move ``dossier`` by ``action``: checked against the table, recorded, announced; flushed.

    ``actor`` None is a step the system witnessed (the return leg's delivery event, recorded by a device).
    ``expected_version`` is the Dossier.version the officer saw; a different one means someone else
    acted in between (StaleDossier). A concurrent commit found at flush raises StaleDossier too; the
    caller must then roll back.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if expected_version is not None and expected_version != dossier.version:
        raise _stale()
    action = Action(action)
    source = dossier.status
    target = next_status(source, action)
    # No autoflush midway: a lost race must surface at the one flush below, as StaleDossier.
    with session.no_autoflush:
        dossier.status = target
        # Even a step that keeps the status (a second apology) updates the row, so the version check runs.
        flag_modified(dossier, "status")
        if target == S.result_ready and dossier.settled_at is None:
            dossier.settled_at = at
        if target in (S.rejected, S.withdrawn):
            dossier.given_back_at = at
        step = DossierStatusChange(
            from_status=source, to_status=target, at=at, actor_id=actor.id if actor else None, reason=reason or "",
            action=action.value, details=details or {},
        )
        dossier.history.append(step)
    try:
        session.flush()
    except StaleDataError:
        raise _stale() from None
    payload = {
        "dossier_code": dossier.code,
        "shipment_number": dossier.shipment_number,
        "from_status": source.value if source else None,
        "to_status": target.value,
        "action": action.value,
        "at": at.isoformat(),
    }
    if details and isinstance(details.get("reasons"), list):
        payload["reasons"] = details["reasons"]
    emit(session, "dossier.status_changed", aggregate_type="dossier", aggregate_id=dossier.code or dossier.shipment_number,
         occurred_at=at, payload=payload)
    return step
