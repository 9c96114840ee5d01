"""The statistics API's shapes (R-21): the period asked for and the seed-001 table, checked and documented from
the same models."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from postal_gateway.api.validation import IsoDateTime
from postal_gateway.statistics.service import (
    ALIASES,
    COLUMNS,
    NO_DATA_KEYS,
    RECEPTION_COLUMNS,
    AgencyRow,
    ReceptionRow,
    Report,
)

Count = Annotated[int, Field(ge=0)]
#: a day as typed in the query; the period's rules (and their messages) are the service's
QueryDay = Annotated[str | None, WithJsonSchema({"type": "string", "format": "date"})]


def _absent_not_null(schema: dict) -> None:
    """A parameter left out takes the service's default; the document must not offer null for it."""
    schema.pop("default", None)


class StatisticsQuery(BaseModel):
    """The agency and the whole Vietnamese days asked for."""

    model_config = ConfigDict(populate_by_name=True)

    agency: Annotated[str | None, WithJsonSchema({"type": "string"})] = Field(
        None, description="Agency code, e.g. 000.00.20.H10", json_schema_extra=_absent_not_null
    )
    date_from: QueryDay = Field(None, alias="from", description="First day, YYYY-MM-DD; default 1 January.",
                                json_schema_extra=_absent_not_null)
    date_to: QueryDay = Field(None, alias="to", description="Last day, YYYY-MM-DD; default today.",
                              json_schema_extra=_absent_not_null)


class StatisticsRow(BaseModel):
    """One agency's line of the table (or the total)."""

    agency_code: str
    agency_name: str
    carried_on_time: Count
    carried_late: Count
    carried_waiting: Count = Field(description="open at the start with the clock stopped for a supplement")
    received: Count
    to_settle: Count
    settled_on_time: Count
    settled_late: Count
    in_progress_on_time: Count
    in_progress_late: Count
    waiting_supplement: Count
    waiting_fee: Count = Field(description="no data yet: always 0 (docs/statistics.md)")
    waiting_citizen: Count = Field(description="no data yet: always 0 (docs/statistics.md)")
    waiting_other: Count = Field(description="no data yet: always 0 (docs/statistics.md)")
    supplement_requested: Count = Field(description="the former name of waiting_supplement, kept for old callers",
                                        json_schema_extra={"deprecated": True})
    returned: Count
    on_time_pct: float | None = Field(
        description="settled on time / settled × 100, one decimal; null if none settled"
    )

    @classmethod
    def of(cls, row: AgencyRow, *, agency_name: str | None = None) -> StatisticsRow:
        aliases = {alias: row.counts[key] for alias, key in ALIASES.items()}
        return cls(agency_code=row.agency_code, agency_name=agency_name or row.agency_name, **row.counts, **aliases,
                   on_time_pct=row.on_time_pct)


class ReceptionRowOut(BaseModel):
    """One agency's line of "Tiếp nhận qua bưu chính" (or the total)."""

    agency_code: str
    agency_name: str
    submitted: Count = Field(description="submitted by the post in the period")
    accepted: Count = Field(description="received by the agency in the period (official receipt time)")
    sent_back: Count = Field(description="sent back for completion before receipt in the period")
    refused: Count = Field(description="refused at reception in the period")
    awaiting_acceptance: Count = Field(description="submitted and still awaiting the agency at the period's end")
    median_working_hours: float | None = Field(
        description="median working hours from submission to receipt of those received; null if none"
    )
    apologies_processing_agency: Count = Field(description="apology letters (form 04) written in the period by the "
                                                           "processing agency (Điều 9.3.d)")
    apologies_cooperating_agency: Count = Field(description="... by a cooperating agency (Điều 10.2.g)")
    apologies_one_stop_office: Count = Field(description="... by the one-stop office, for a reception error "
                                                         "(Điều 9.4.b, 10.2.đ)")
    reception_error_supplements: Count = Field(description="supplement requests in the period caused by a reception "
                                                           "error")

    @classmethod
    def of(cls, row: ReceptionRow, *, agency_name: str | None = None) -> ReceptionRowOut:
        return cls(agency_code=row.agency_code, agency_name=agency_name or row.agency_name, **row.counts,
                   median_working_hours=row.median_working_hours)


class StatisticsOut(BaseModel):
    """The seed-001 table of the agencies the caller may see, over the period."""

    model_config = ConfigDict(title="Statistics", populate_by_name=True, serialize_by_alias=True)

    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    cutoff: IsoDateTime = Field(description="moment lateness of open dossiers is judged at")
    columns: list[str]
    no_data: list[str] = Field(description="columns the gateway has no data for yet (always 0)")
    agencies: list[StatisticsRow]
    total: StatisticsRow
    reception_columns: list[str]
    reception: list[ReceptionRowOut] = Field(description="the second table, Tiếp nhận qua bưu chính")
    reception_total: ReceptionRowOut

    @classmethod
    def of(cls, report: Report) -> StatisticsOut:
        return cls(
            period_from=report.period.first, period_to=report.period.last, cutoff=report.cutoff,
            columns=[key for key, _group, _column in COLUMNS],
            no_data=list(NO_DATA_KEYS),
            agencies=[StatisticsRow.of(row) for row in report.rows],
            # the API's total is named in Vietnamese whatever the language, as it always was
            total=StatisticsRow.of(report.total, agency_name="Tổng cộng"),
            reception_columns=[key for key, _header in RECEPTION_COLUMNS],
            reception=[ReceptionRowOut.of(row) for row in report.reception],
            reception_total=ReceptionRowOut.of(report.reception_total, agency_name="Tổng cộng"),
        )
