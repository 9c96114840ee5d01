"""Demo rows of the payments area (``flask load-demo``): a level-4 dossier the demo citizen submitted
online, its lệ phí owed and unpaid.

The demo citizen (ID number 070085001234) logs in, opens the dossier, taps "Thanh toán lệ phí" and
pays in the local VNPay sandbox; the agency admin (lanhdao@demo.stttt.gov.vn) then fetches the
sandbox's file for the day at /payments/reconciliation, reconciles and signs the day off.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.settings import DEMO_TMN_CODE
from payments.terminal_models import MerchantTerminal
from payments.terminals import terminal_of
from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency, Procedure
from postal_gateway.core.db import utcnow
from postal_gateway.core.formatting import format_vnd
from postal_gateway.dossiers.demo import demo_dossier, record_submitted_and_accepted
from postal_gateway.dossiers.models import Channel, Dossier

DEMO_KEY = "demo-payments-1"
DEMO_CITIZEN_ID_NUMBER = "070085001234"
DEMO_AGENCY_CODE = "000.00.20.H10"


def load_demo_payments(session: Session) -> list[str]:
    """Idempotent: returns the lines to print (the dossier's code and who pays it where)."""
    citizen = session.scalar(select(User).where(User.id_number == DEMO_CITIZEN_ID_NUMBER))
    agency = session.scalar(select(Agency).where(Agency.code == DEMO_AGENCY_CODE))
    if citizen is None or agency is None:
        return ["payments: demo citizen or agency missing; load them first"]
    # The demo agency is paid through the sandbox's demo terminal, usable only while VNPAY_SANDBOX is on.
    if terminal_of(session, agency.id) is None:
        session.add(MerchantTerminal(agency_id=agency.id, tmn_code=DEMO_TMN_CODE, sandbox=True, created_at=utcnow()))
        session.flush()
    # The citizen submitted it from their own account, so the submission key is theirs.
    dossier = session.scalar(select(Dossier).where(Dossier.submitted_by_id == citizen.id, Dossier.submission_key == DEMO_KEY))
    if dossier is None:
        procedure = session.scalar(
            select(Procedure).where(Procedure.agency_id == agency.id, Procedure.level == 4, Procedure.fee_vnd > 0)
            .order_by(Procedure.processing_half_days, Procedure.code)
        )
        if procedure is None:
            return ["payments: no level-4 demo procedure with a fee"]
        dossier = demo_dossier(
            session, procedure=procedure, entered_at=utcnow(), citizen_id=citizen.id, channel=Channel.online,
            # Signed with the citizen's digital signature online: no originals follow by post (Điều 7.3).
            digitally_signed=True, delivery_address=citizen.address or "",
            submitted_by_id=citizen.id, submission_key=DEMO_KEY, postage_vnd=0,
        )
        session.flush()
        officer = session.scalar(select(User).where(User.agency_id == agency.id, User.role == Role.agency_staff)
                                 .order_by(User.id)) or citizen
        record_submitted_and_accepted(session, dossier, submitted_by=citizen, accepted_by=officer)
        session.flush()
    return [
        f"payments: demo dossier {dossier.code} (level 4, online) owes {format_vnd(dossier.fee_vnd)}; log in as "
        f"{DEMO_CITIZEN_ID_NUMBER}, open /dossiers/{dossier.code} and pay in the local sandbox; "
        f"reconcile the day at /payments/reconciliation (lanhdao@demo.stttt.gov.vn)",
    ]
