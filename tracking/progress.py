"""Where a dossier's shipment stands and what a handheld may record next: the state of each leg and the events
allowed from it (``vocabulary.next_events``), limited to the legs the asker's office holds (``custody``), so the
handheld offers only what will be accepted."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import Leg
from postal_gateway.accounts.models import User
from postal_gateway.core.domain import N_, Forbidden, InvalidInput, NotFound
from postal_gateway.dossiers.models import Channel, Dossier
from postal_gateway.dossiers.shipments import reference_of
from tracking import custody
from tracking.ingestion import find_dossier
from tracking.models import LegState, ShipmentLeg
from tracking.vocabulary import EventType, next_events


@dataclass(frozen=True)
class LegProgress:
    kind: Leg
    state: LegState
    #: whether the asker's office holds this leg (custody.may_record)
    may_record: bool


@dataclass(frozen=True)
class ShipmentProgress:
    reference: str
    shipment_number: str
    #: the leg the next event of either leg lands on; None before the post has taken the dossier
    current: LegProgress | None
    legs: list[LegProgress]
    #: the events the asker may record now, with the leg each lands on, in the vocabulary's order
    allowed: list[tuple[EventType, Leg]]


def shipment_progress(session: Session, *, reference, actor: User | None) -> ShipmentProgress:
    """The shipment a typed or scanned reference names, its legs' states and the events ``actor`` may record now
    (Điều 21.1: the post takes the dossier; Điều 25.2: the result back within the committed time). NotFound for an
    unknown reference, Forbidden when the actor's office holds no leg of it (as recording would be)."""
    dossier = find_dossier(session, reference)
    if dossier is None:
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": str(reference or "")[:40]})
    if dossier.channel != Channel.postal:
        raise InvalidInput.on_field("code", N_("Hồ sơ %(code)s không nộp qua bưu chính."), code=reference_of(dossier))
    if not custody.holds_any_leg(session, actor, dossier):
        raise Forbidden(N_("Bưu cục của bạn không giữ hồ sơ này; không thể ghi sự kiện."))
    return progress_of(session, dossier, actor)


def progress_of(session: Session, dossier: Dossier, actor: User | None) -> ShipmentProgress:
    rows = session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id))
    by_kind = {leg.kind: leg for leg in rows}
    legs = [LegProgress(kind, by_kind[kind].state, custody.may_record(session, actor, dossier, by_kind[kind]))
            for kind in (Leg.forward, Leg.return_) if kind in by_kind]
    current_kind = Leg.return_ if Leg.return_ in by_kind else Leg.forward if Leg.forward in by_kind else None
    current = next((leg for leg in legs if leg.kind == current_kind), None)
    forward, return_ = (by_kind.get(Leg.forward), by_kind.get(Leg.return_))
    possible = next_events(forward.state if forward else None, return_.state if return_ else None)
    allowed = [(event, kind) for event, kind in possible.items()
               if custody.may_record(session, actor, dossier, by_kind.get(kind))]
    return ShipmentProgress(reference=reference_of(dossier), shipment_number=dossier.shipment_number,
                            current=current, legs=legs, allowed=allowed)
