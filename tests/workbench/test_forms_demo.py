"""The demo's form 04 and form 02 dossiers: loaded once, each with its stored form."""
from __future__ import annotations

from sqlalchemy import func, select

from postal_gateway.accounts.demo import load_demo_users
from postal_gateway.catalogue.demo_data import load_demo_catalogue
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import Dossier, DossierStatus
from postal_gateway.official_forms.models import OfficialForm
from postal_gateway.workbench import services
from postal_gateway.workbench.demo import DEMO_APOLOGY_KEY, DEMO_SUPPLEMENT_KEY, load_demo_forms_04_and_02


def test_demo_late_dossier_has_forwarded_form_04_and_another_a_form_02__dieu_9_4_d_12_1_c(session):
    """Điều 9.3.d, 9.4.d, 12.1.c: the late demo dossier carries the processing agency's form 04, forwarded (the
    appointment moved, the due time did not); the other waits for a supplement asked on form 02."""
    load_demo_catalogue(session)
    load_demo_users(session)
    first = load_demo_forms_04_and_02(session)
    forms = session.scalar(select(func.count()).select_from(OfficialForm))
    assert load_demo_forms_04_and_02(session) == first
    session.commit()
    assert session.scalar(select(func.count()).select_from(OfficialForm)) == forms == 2
    late = session.scalar(select(Dossier).where(Dossier.submission_key == DEMO_APOLOGY_KEY))
    letter = services.apology_letters(session, late)[0]
    assert late.code in first[0] and late.due_at < utcnow() and late.status == DossierStatus.overdue
    assert letter.issuer_kind == "processing_agency" and letter.forwarded_at is not None and letter.form_id
    assert late.appointment_date == letter.new_appointment_date and late.due_at == letter.missed_due_at
    waiting = session.scalar(select(Dossier).where(Dossier.submission_key == DEMO_SUPPLEMENT_KEY))
    request = services.outstanding_supplement(session, waiting)
    assert waiting.status == DossierStatus.supplement_requested and waiting.code in first[1]
    assert session.get(OfficialForm, request.form_id).form_no == 2 and len(request.items) == 2
