"""The workbench API's shapes: bodies and queries checked here, answers built here, and the OpenAPI
document generated from the same models.

Only the shape is checked here (types, lengths the rules also hold); whether a field is needed for
the chosen step, and what its value means, is the services' to say.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator
from sqlalchemy.orm import Session

from postal_gateway.api.request_guards import MAX_DATABASE_INT
from postal_gateway.api.validation import DatabaseId, IsoDateTime
from postal_gateway.dossiers.models import Dossier, DossierStatus
from postal_gateway.dossiers.workflow import allowed_actions
from postal_gateway.workbench import services
from postal_gateway.workbench.services import OPINION_DAYS_MAX, REASON_MAX, REASONS_MAX, TEXT_MAX

#: every step the API can take by name (the workflow's actions but the first, "submit", the post's)
WorkbenchStep = Literal[
    "accept", "transfer", "start_processing", "start_verification", "finish_verification", "request_supplement",
    "receive_supplement", "reject", "withdraw", "ask_opinion", "record_opinion", "apologise",
    "mark_result_ready", "hand_to_post", "return_result", "request_completion", "refuse", "forward_apology",
]
Text = Annotated[StrictStr, Field(max_length=TEXT_MAX)]


class WorkbenchHandover(BaseModel):
    """The officer's signature for the paper dossier the post brought."""

    paper_matches: StrictBool
    discrepancies: Text | None = Field(None, description="Required when paper_matches is false.")


class WorkbenchAction(BaseModel):
    """One workflow step, by name, with the fields that step reads."""

    action: WorkbenchStep
    version: Annotated[StrictInt, Field(ge=0, le=MAX_DATABASE_INT)] | None = Field(
        None, description="The dossier version the caller saw; a different current version answers 409."
    )
    reasons: Annotated[list[Annotated[StrictStr, Field(max_length=REASON_MAX)]], Field(max_length=REASONS_MAX)] | None = (
        Field(None, description="request_supplement, reject, request_completion, refuse: every reason at once.")
    )
    items: Annotated[list[Annotated[StrictStr, Field(max_length=REASON_MAX)]], Field(max_length=REASONS_MAX)] | None = (
        Field(None, description="request_completion: every item to complete at once (Điều 12.1.c).")
    )
    competent_agency: Text | None = Field(None, description="refuse: where the citizen should go (Điều 9.1.b).")
    reason: Text | None = Field(None, description="withdraw, apologise, and the simple steps.")
    note: Text | None = Field(None, description="receive_supplement, mark_result_ready.")
    agency_code: Annotated[StrictStr, Field(max_length=64)] | None = Field(None, description="ask_opinion.")
    question: Text | None = Field(None, description="ask_opinion.")
    working_days: Annotated[StrictInt, Field(ge=1, le=OPINION_DAYS_MAX)] | None = Field(None, description="ask_opinion.")
    opinion_id: DatabaseId | None = Field(None, description="record_opinion.")
    answer: Text | None = Field(None, description="record_opinion.")
    new_date: Annotated[StrictStr, Field(max_length=10, json_schema_extra={"format": "date"})] | None = Field(
        None, description="apologise: a later working day (only past the due time)."
    )
    issuer_kind: Literal["processing_agency", "cooperating_agency", "one_stop_office"] | None = Field(
        None, description="apologise: the body writing form 04 (Điều 9.3.d, 10.2.g); default processing_agency.")
    cause: Literal["late", "reception_error", "verification"] | None = Field(
        None, description="apologise: late (default) or reception_error; request_supplement: verification "
                          "(Điều 9.3.b) or reception_error (Điều 9.4.b, 10.2.đ).")
    opinion_request_id: DatabaseId | None = Field(
        None, description="apologise by a cooperating agency: the opinion request it was asked through.")
    letter_number: Annotated[StrictInt, Field(ge=1, le=999)] | None = Field(
        None, description="forward_apology: the dossier's letter number (Điều 9.4.d).")
    apology_new_date: Annotated[StrictStr, Field(max_length=10, json_schema_extra={"format": "date"})] | None = Field(
        None, description="request_supplement with cause reception_error: the new return date of the one-stop "
                          "office's form 04 (Điều 9.4.b, 10.2.đ).")
    apology_reason: Annotated[StrictStr, Field(max_length=REASON_MAX)] | None = Field(
        None, description="request_supplement with cause reception_error: the apology's reason.")
    via: Literal["post", "counter"] | None = Field(None, description="return_result: by post or at the counter.")
    basis: Literal["online_valid", "paper_handover"] | None = Field(
        None, description="accept: the e-dossier notified valid now, or the signed paper hand-over (Điều 12.1.d).")

    @property
    def apology(self) -> services.ApologyInput | None:
        """The one-stop office's apology given with a supplement request; None when no date was given."""
        if self.apology_new_date is None:
            return None
        try:
            day = date.fromisoformat(self.apology_new_date.strip())
        except ValueError:
            day = None
        return services.ApologyInput(day, (self.apology_reason or "").strip() or services.RECEPTION_ERROR_REASON)

    @property
    def new_day(self) -> date | None:
        """``new_date`` as a day; None when it is absent or not a date (the use case names it)."""
        try:
            return date.fromisoformat((self.new_date or "").strip())
        except ValueError:
            return None


#: a state, or "late" for the dossiers past their due time
QueueChoice = Literal[tuple(status.value for status in DossierStatus) + ("late",)]


class WorkbenchQueueQuery(BaseModel):
    status: QueueChoice | None = Field(
        None, description="A state, or `late` for dossiers past their due time; default: all open dossiers."
    )

    @field_validator("status", mode="before")
    @classmethod
    def _empty_is_all(cls, value):
        return value or None


class WorkbenchDossierSummary(BaseModel):
    code: str | None = Field(description="Dossier code, issued on acceptance (Điều 14.4); null while submitted.")
    shipment_number: str = Field(description="Số hiệu bưu gửi: the reference of a dossier not yet accepted.")
    submitted_at: IsoDateTime
    status: Literal[tuple(status.value for status in DossierStatus)]
    version: int
    procedure_code: str
    applicant_name: str
    channel: str
    level: int
    received_at: IsoDateTime | None
    due_at: IsoDateTime | None
    appointment_date: date | None
    late: bool

    @classmethod
    def fields_of(cls, row: Dossier, now: datetime) -> dict:
        return {
            "code": row.code, "shipment_number": row.shipment_number, "submitted_at": row.submitted_at,
            "status": row.status.value, "version": row.version,
            "procedure_code": row.procedure.code, "applicant_name": row.citizen.full_name,
            "channel": row.channel.value, "level": row.level, "received_at": row.received_at,
            "due_at": row.due_at, "appointment_date": row.appointment_date, "late": services.is_late(row, now),
        }

    @classmethod
    def of(cls, row: Dossier, now: datetime) -> WorkbenchDossierSummary:
        return cls(**cls.fields_of(row, now))


class WorkbenchQueue(BaseModel):
    """The officer's agency's dossiers: counts per state and the chosen list by due time."""

    model_config = ConfigDict(title="WorkbenchQueue")

    counts: dict[str, int]
    late: int
    dossiers: list[WorkbenchDossierSummary]

    @classmethod
    def of(cls, view: services.Queue, now: datetime) -> WorkbenchQueue:
        return cls(counts=view.counts, late=view.overdue,
                   dossiers=[WorkbenchDossierSummary.of(row, now) for row in view.dossiers])


class TimelineEntryOut(BaseModel):
    at: IsoDateTime
    kind: str
    title: str
    lines: list[str]
    actor: str


class ApologyLetterOut(BaseModel):
    number: int
    issued_at: IsoDateTime
    reason: str
    new_appointment_date: date
    issuer_kind: Literal["processing_agency", "cooperating_agency", "one_stop_office"]
    issuer_name: str
    cause: Literal["late", "reception_error"]
    form_id: int | None = Field(description="The stored form 04 (null for letters written before forms were stored).")
    forwarded_at: IsoDateTime | None = Field(description="When the one-stop office forwarded it (Điều 9.4.d).")


class WorkbenchDossier(WorkbenchDossierSummary):
    """One dossier of the officer's agency with its timeline and the steps allowed next."""

    model_config = ConfigDict(title="WorkbenchDossier")

    allowed_actions: list[str]
    timeline: list[TimelineEntryOut]
    apology_letters: list[ApologyLetterOut]

    @classmethod
    def of(cls, session: Session, row: Dossier, now: datetime) -> WorkbenchDossier:
        return cls(
            **cls.fields_of(row, now),
            allowed_actions=[action.value for action in allowed_actions(row.status)],
            timeline=[
                TimelineEntryOut(at=entry.at, kind=entry.kind, title=entry.title, lines=entry.lines, actor=entry.actor)
                for entry in services.timeline(session, row)
            ],
            apology_letters=[
                ApologyLetterOut(number=letter.number, issued_at=letter.issued_at, reason=letter.reason,
                                 new_appointment_date=letter.new_appointment_date, issuer_kind=letter.issuer_kind,
                                 issuer_name=letter.issuer_agency.name, cause=letter.cause, form_id=letter.form_id,
                                 forwarded_at=letter.forwarded_at)
                for letter in services.apology_letters(session, row)
            ],
        )
