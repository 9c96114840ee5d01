"""The tracking API's shapes: the events a handheld sends and the answer per event, documented from these
models.

The body is not refused as a whole for a bad event: each event is judged on its own by
``tracking.ingestion`` (an event with bad fields is answered ``invalid`` beside the others), so these
models describe the events for the OpenAPI document and build the answer; they do not gate the request.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from tracking.custody import HANDOVER_DETAIL
from tracking.ingestion import EVENT_ID_PATTERN, MAX_BATCH, NOTE_MAX, PROOF_MAX, EventResult
from tracking.vocabulary import EventType

EventKind = Literal[tuple(kind.value for kind in EventType)]
OfficeCode = Annotated[str, Field(max_length=16)]


class ShipmentEventDetails(BaseModel):
    """Facts some events need; nothing else is accepted."""

    model_config = ConfigDict(extra="forbid")

    officer_name: str | None = Field(None, description="handed_to_agency: who signed.")
    officer_id: int | None = None
    recipient_name: str | None = Field(None, description="delivered: required.")
    id_checked: bool | None = Field(None, description="delivered: must be true.")
    proof: str | None = Field(
        None, description=f"Signature or photo as a data:image/… URL, < {PROOF_MAX // 1000} KB."
    )
    reason: str | None = Field(None, description="delivery_failed, returned_to_agency: required.")
    to_post_office_code: OfficeCode | None = Field(
        None, alias=HANDOVER_DETAIL,
        description="dispatched: hands the leg to this post office, whose staff may then record its events.",
    )


class ShipmentEvent(BaseModel):
    """One hand-over event as the handheld records it."""

    event_id: str = Field(pattern=EVENT_ID_PATTERN.pattern,
                          description="Made by the device (e.g. a UUID); the same id twice is one event.")
    type: EventKind
    leg: Literal["forward", "return"] | None = Field(
        None, description="Optional; by default the event's own leg or the dossier's current leg."
    )
    occurred_at: datetime = Field(description="Device clock, with offset.")
    recorded_at: datetime | None = None
    post_office_code: OfficeCode | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    note: Annotated[str, Field(max_length=NOTE_MAX)] | None = None
    details: ShipmentEventDetails | None = None


class ShipmentEventBatch(BaseModel):
    events: Annotated[list[ShipmentEvent], Field(max_length=MAX_BATCH)]


#: one event, a list, or {"events": [...]}
ShipmentEventsIn = ShipmentEvent | Annotated[list[ShipmentEvent], Field(max_length=MAX_BATCH)] | ShipmentEventBatch


class EventFieldError(BaseModel):
    field: str
    message: str


class ShipmentEventResult(BaseModel):
    """What happened to one event: accepted, duplicate, rejected (kept for audit, `reason` says why),
    invalid (`errors` names the fields; not stored) or forbidden."""

    model_config = ConfigDict(title="ShipmentEventResult")

    event_id: str
    status: Literal["accepted", "duplicate", "rejected", "invalid", "forbidden"]
    reason: str | None = None
    errors: list[EventFieldError] | None = None
    leg_state: str | None = None
    dossier_code: str | None = None

    @model_serializer(mode="wrap")
    def _without_empty_facts(self, handler):
        # a fact the event does not have is left out of the answer, as the handhelds expect
        return {key: value for key, value in handler(self).items() if value is not None}

    @classmethod
    def of(cls, result: EventResult, *, reason: str, messages: list[str]) -> ShipmentEventResult:
        """``reason`` and ``messages`` (one per field error) in the reader's words."""
        return cls(
            event_id=result.event_id,
            status=result.status,
            reason=reason or None,
            errors=[EventFieldError(field=e.field, message=m) for e, m in zip(result.errors, messages)] or None,
            leg_state=result.leg_state or None,
            dossier_code=result.dossier_code or None,
        )


class ShipmentEventResults(BaseModel):
    """One result per event, in the order sent."""

    results: list[ShipmentEventResult]


class RunSheetStopOut(BaseModel):
    """One address to go to today."""

    kind: Literal["pickup", "delivery"] = Field(description="pickup: collect a dossier; delivery: bring the result.")
    dossier_ref: str = Field(description="The dossier code, or the shipment number before the agency gave a code.")
    shipment_number: str
    citizen_name: str
    citizen_phone: str
    address: str
    due_at: datetime | None = Field(None, description="When the stop must be done by; null when no time is promised.")
    overdue: bool
    state: str = Field(description="The leg's state (tracking.models.LegState).")
    place_label: str = Field(description="The district or province the address was placed in; empty if unplaced.")
    latitude: float | None = None
    longitude: float | None = None
    distance_km: float | None = Field(None, description="Geodesic distance from the post office; null if unplaced.")
    geo_uri: str = Field(description="RFC 5870 geo: URI for the phone's map application.")

    @classmethod
    def of(cls, stop, *, now: datetime) -> RunSheetStopOut:
        return cls(kind=stop.kind, dossier_ref=stop.dossier_ref, shipment_number=stop.shipment_number,
                   citizen_name=stop.citizen_name, citizen_phone=stop.citizen_phone, address=stop.address,
                   due_at=stop.due_at, overdue=stop.overdue(now), state=stop.state.value,
                   place_label=stop.place_label, latitude=stop.latitude, longitude=stop.longitude,
                   distance_km=stop.distance_km, geo_uri=stop.geo_uri)


class RunSheetOut(BaseModel):
    """The day's stops of the caller's post office, by due time then distance."""

    post_office_code: str
    day: str = Field(description="The Vietnamese calendar day, YYYY-MM-DD.")
    made_at: datetime
    stops: list[RunSheetStopOut]

    @classmethod
    def of(cls, sheet) -> RunSheetOut:
        return cls(post_office_code=sheet.post_office.code, day=sheet.day.date().isoformat(), made_at=sheet.made_at,
                   stops=[RunSheetStopOut.of(stop, now=sheet.made_at) for stop in sheet.stops])


class LegProgressOut(BaseModel):
    """One leg of the shipment as it stands."""

    leg: Literal["forward", "return"]
    leg_label: str
    state: str = Field(description="The leg's state (tracking.models.LegState).")
    state_label: str
    may_record: bool = Field(description="Whether the caller's office holds this leg and may record on it.")


class NextEventOut(BaseModel):
    """An event the caller may record now."""

    type: EventKind
    label: str
    leg: Literal["forward", "return"] = Field(description="The leg the event lands on.")
    required: list[str] = Field(description="The details the event must carry.")


class ShipmentProgressOut(BaseModel):
    """A shipment's legs and the events allowed from their states, for the caller's office."""

    dossier_ref: str = Field(description="The dossier code, or the shipment number before the agency gave a code.")
    shipment_number: str
    current: LegProgressOut | None = Field(description="The leg the next event lands on; null before pickup.")
    legs: list[LegProgressOut]
    next_events: list[NextEventOut]
