"""JSON bodies of the workbench API: checked here, and documented from the same models.

Only the shape is checked here (types, lengths the rules also hold); whether a field is needed for
the chosen step, and what its value means, is the services' to say.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from postal_gateway.api.request_guards import MAX_DATABASE_INT
from postal_gateway.api.validation import DatabaseId
from postal_gateway.workbench.services import OPINION_DAYS_MAX, REASON_MAX, REASONS_MAX, TEXT_MAX

#: every step the API can take by name (the workflow's actions but the first, "receive")
WorkbenchStep = Literal[
    "transfer", "start_processing", "start_verification", "finish_verification", "request_supplement",
    "receive_supplement", "reject", "withdraw", "ask_opinion", "record_opinion", "apologise",
    "mark_result_ready", "return_result",
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
        Field(None, description="request_supplement, reject: every reason at once.")
    )
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
    via: Literal["post", "counter"] | None = Field(None, description="return_result: by post or at the counter.")
