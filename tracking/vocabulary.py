"""The hand-over events a handheld may report, their Vietnamese labels and UPU codes, and the
transition table (leg kind, state, event) -> state that decides whether an event is possible.

Codes follow the UPU EMSEVT tracking events where one fits (EMA posting/collection, EMC dispatch,
EMD arrival, EDF held at delivery office, EDG out for delivery, EMH unsuccessful delivery, EMI
final delivery); hand-overs peculiar to this service carry national codes prefixed "VN".
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from contracts.models import Leg
from postal_gateway.core.domain import N_
from tracking.models import LegState


class EventType(str, enum.Enum):
    picked_up = "picked_up"
    accepted_at_office = "accepted_at_office"
    dispatched = "dispatched"
    arrived = "arrived"
    handed_to_agency = "handed_to_agency"
    result_handed_to_post = "result_handed_to_post"
    out_for_delivery = "out_for_delivery"
    delivered = "delivered"
    delivery_failed = "delivery_failed"
    held_at_post_office = "held_at_post_office"
    returned_to_agency = "returned_to_agency"
    lost = "lost"
    found = "found"


@dataclass(frozen=True)
class EventInfo:
    label: str
    upu_code: str
    #: the leg it belongs to; None means the dossier's current leg
    leg: Leg | None
    #: details the event must carry
    required: tuple[str, ...] = ()


EVENTS: dict[EventType, EventInfo] = {
    EventType.picked_up: EventInfo(N_("Đã nhận hồ sơ từ công dân"), "EMA", Leg.forward),
    EventType.accepted_at_office: EventInfo(N_("Đã nhập bưu cục"), "EMB", None),
    EventType.dispatched: EventInfo(N_("Đã chuyển đi"), "EMC", None),
    EventType.arrived: EventInfo(N_("Đã đến bưu cục"), "EMD", None),
    EventType.handed_to_agency: EventInfo(
        N_("Đã giao cho Bộ phận Một cửa"), "EMI", Leg.forward, ("officer_name",)
    ),
    EventType.result_handed_to_post: EventInfo(N_("Bưu điện đã nhận kết quả"), "VNR", Leg.return_),
    EventType.out_for_delivery: EventInfo(N_("Đang phát kết quả"), "EDG", Leg.return_),
    EventType.delivered: EventInfo(
        N_("Đã trả kết quả"), "EMI", Leg.return_, ("recipient_name", "id_checked")
    ),
    EventType.delivery_failed: EventInfo(N_("Phát không thành công"), "EMH", Leg.return_, ("reason",)),
    EventType.held_at_post_office: EventInfo(N_("Lưu tại bưu cục chờ nhận"), "EDF", None),
    EventType.returned_to_agency: EventInfo(N_("Đã chuyển trả cơ quan"), "VNT", Leg.return_, ("reason",)),
    EventType.lost: EventInfo(N_("Thất lạc"), "VNL", None),
    EventType.found: EventInfo(N_("Đã tìm thấy"), "VNF", None),
}

#: labels of leg states, for pages
STATE_LABELS: dict[LegState, str] = {
    LegState.open: N_("Chờ xử lý"),
    LegState.picked_up: N_("Đã nhận từ công dân"),
    LegState.with_post: N_("Bưu điện đã nhận kết quả"),
    LegState.at_post_office: N_("Tại bưu cục"),
    LegState.in_transit: N_("Đang vận chuyển"),
    LegState.arrived: N_("Đã đến bưu cục"),
    LegState.out_for_delivery: N_("Đang phát"),
    LegState.delivery_failed: N_("Phát không thành công"),
    LegState.held_at_post_office: N_("Chờ nhận tại bưu cục"),
    LegState.lost: N_("Thất lạc"),
    LegState.handed_to_agency: N_("Đã giao cơ quan"),
    LegState.delivered: N_("Đã trả kết quả"),
    LegState.returned_to_agency: N_("Đã chuyển trả cơ quan"),
}

LEG_LABELS = {Leg.forward: N_("Chiều đi (hồ sơ đến cơ quan)"), Leg.return_: N_("Chiều về (kết quả đến công dân)")}

E, S = EventType, LegState

_FORWARD: dict[LegState, dict[EventType, LegState]] = {
    S.open: {E.picked_up: S.picked_up, E.accepted_at_office: S.at_post_office, E.lost: S.lost},
    S.picked_up: {
        E.accepted_at_office: S.at_post_office, E.dispatched: S.in_transit, E.arrived: S.arrived,
        E.held_at_post_office: S.at_post_office, E.handed_to_agency: S.handed_to_agency, E.lost: S.lost,
    },
    S.at_post_office: {
        E.dispatched: S.in_transit, E.arrived: S.arrived, E.held_at_post_office: S.at_post_office,
        E.handed_to_agency: S.handed_to_agency, E.lost: S.lost,
    },
    S.in_transit: {E.arrived: S.arrived, E.handed_to_agency: S.handed_to_agency, E.lost: S.lost},
    S.arrived: {
        E.dispatched: S.in_transit, E.accepted_at_office: S.at_post_office, E.held_at_post_office: S.at_post_office,
        E.handed_to_agency: S.handed_to_agency, E.lost: S.lost,
    },
    # the one-stop officer signing for it proves it was found
    S.lost: {E.found: S.at_post_office, E.handed_to_agency: S.handed_to_agency},
}

_DELIVERABLE = {E.out_for_delivery: S.out_for_delivery, E.held_at_post_office: S.held_at_post_office}
_RETURN: dict[LegState, dict[EventType, LegState]] = {
    S.open: {E.result_handed_to_post: S.with_post, E.lost: S.lost},
    S.with_post: {
        E.accepted_at_office: S.at_post_office, E.dispatched: S.in_transit, E.arrived: S.arrived,
        **_DELIVERABLE, E.delivered: S.delivered, E.lost: S.lost,
    },
    S.at_post_office: {
        E.dispatched: S.in_transit, E.arrived: S.arrived, **_DELIVERABLE, E.delivered: S.delivered, E.lost: S.lost,
    },
    S.in_transit: {E.arrived: S.arrived, **_DELIVERABLE, E.lost: S.lost},
    S.arrived: {
        E.dispatched: S.in_transit, E.accepted_at_office: S.at_post_office, **_DELIVERABLE,
        E.delivered: S.delivered, E.lost: S.lost,
    },
    S.out_for_delivery: {E.delivered: S.delivered, E.delivery_failed: S.delivery_failed, E.lost: S.lost},
    S.delivery_failed: {
        **_DELIVERABLE, E.returned_to_agency: S.returned_to_agency, E.lost: S.lost,
    },
    # collected by the citizen at the counter (a "delivered" there)
    S.held_at_post_office: {
        E.out_for_delivery: S.out_for_delivery, E.delivered: S.delivered,
        E.returned_to_agency: S.returned_to_agency, E.lost: S.lost,
    },
    # the citizen signing for it proves it was found
    S.lost: {E.found: S.at_post_office, E.delivered: S.delivered},
}

TRANSITIONS: dict[Leg, dict[LegState, dict[EventType, LegState]]] = {
    Leg.forward: _FORWARD,
    Leg.return_: _RETURN,
}


def next_state(kind: Leg, state: LegState, event: EventType) -> LegState | None:
    """The state after ``event``, or None when the event is impossible there."""
    return TRANSITIONS[kind].get(state, {}).get(event)


def impossibility(kind: Leg, state: LegState, event: EventType) -> str:
    """Why ``event`` cannot happen in ``state`` (a translatable message id with %(…)s params)."""
    if state in (S.handed_to_agency, S.delivered, S.returned_to_agency):
        return N_("Chặng này đã kết thúc (%(state)s); không thể ghi thêm sự kiện %(event)s.")
    if event == E.found:
        return N_("Chỉ ghi 'đã tìm thấy' cho hồ sơ đang thất lạc.")
    if kind == Leg.return_ and state == S.open:
        return N_("Bưu điện chưa nhận kết quả từ cơ quan; chưa thể ghi %(event)s.")
    if state == S.open:
        return N_("Hồ sơ chưa được nhận từ công dân; chưa thể ghi %(event)s.")
    if state == S.lost:
        return N_("Hồ sơ đang thất lạc; hãy ghi 'đã tìm thấy' trước khi ghi %(event)s.")
    return N_("Không thể ghi %(event)s khi chặng đang ở trạng thái %(state)s.")


#: events that open the forward leg when it does not exist yet (the post takes the dossier, Điều 21.1)
OPENS_FORWARD = frozenset({E.picked_up, E.accepted_at_office})


def event_leg(event: EventType, current: Leg) -> Leg:
    """The leg an event lands on: its own, or the dossier's current leg for the events of either leg."""
    return EVENTS[event].leg or current


def next_events(forward: LegState | None, return_: LegState | None) -> dict[EventType, Leg]:
    """The events a handheld may record now, each with the leg it lands on, given the states of the dossier's
    legs (None: not opened yet). The current leg is the return leg once it exists (Điều 25.2), else the forward
    leg; a missing forward leg is opened by taking the dossier (Điều 21.1), a missing return leg by the post
    taking the result once the forward leg has been signed for at the one-stop office (Điều 12.1, 25.2).
    The same table ``next_state`` applies decides; in the vocabulary's order."""
    states = {Leg.forward: forward, Leg.return_: return_}
    current = Leg.return_ if return_ is not None else Leg.forward
    allowed: dict[EventType, Leg] = {}
    for event in EVENTS:
        kind = event_leg(event, current)
        state = states[kind]
        if state is None:
            opens = (event in OPENS_FORWARD) if kind == Leg.forward else (
                event == E.result_handed_to_post and forward == S.handed_to_agency
            )
            if not opens:
                continue
            state = S.open
        if next_state(kind, state, event) is not None:
            allowed[event] = kind
    return allowed
