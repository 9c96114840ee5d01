"""The intake wizard's first step: which procedures to offer, and in which order (Điều 24.1).

The worker searches with the catalogue's own matching (``catalogue.services.matching``: words in any
order, with or without diacritics), and sees the procedures this post office takes most often first
(its count of dossiers), so the usual few fit on a phone's screen; the rest are one tap away.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from postal_gateway.catalogue.models import Procedure
from postal_gateway.catalogue.services import postal_procedures_for_intake
from postal_gateway.dossiers.models import Dossier

#: how many procedures the step shows before "Xem tất cả"
FIRST_SHOWN = 5


def uses_at_office(session: Session, post_office_id: int | None) -> dict[int, int]:
    """Procedure id -> how many dossiers ``post_office_id`` has taken for it."""
    if post_office_id is None:
        return {}
    rows = session.execute(
        select(Dossier.procedure_id, func.count(Dossier.id))
        .where(Dossier.post_office_id == post_office_id)
        .group_by(Dossier.procedure_id)
    )
    return {procedure_id: count for procedure_id, count in rows}


@dataclass(frozen=True)
class ProcedureChoice:
    #: what to list, most used at the office first
    procedures: list[Procedure]
    #: how many match in all (what "Xem tất cả" would show)
    total: int
    #: procedure id -> the office's dossiers for it
    uses: dict[int, int]

    @property
    def more(self) -> int:
        return self.total - len(self.procedures)


def procedure_choice(session: Session, *, post_office_id: int | None, q: str = "", show_all: bool = False
                     ) -> ProcedureChoice:
    """The procedures a worker of ``post_office_id`` may pick, matching ``q``: the first few, or every one."""
    uses = uses_at_office(session, post_office_id)
    matches = postal_procedures_for_intake(session, q=q, uses=uses)
    shown = matches if show_all else matches[:FIRST_SHOWN]
    return ProcedureChoice(procedures=shown, total=len(matches), uses=uses)
