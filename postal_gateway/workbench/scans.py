"""The officer opens the dossier's scans (Điều 7.2.a: one file per document) through short-lived signed links.

A link is made on the dossier page for the officer who sees it, and lives ``LINK_LIFETIME``; opening it checks
the signature, its age, that it names this document and this officer, and that the officer works at the
dossier's agency (another agency's officer: NotFound, as everywhere in the workbench). Every view is written to
the append-only audit log (``consents.audit``): who opened which document of which dossier, when (personal data,
Nghị định 13/2023/NĐ-CP). No Flask here: the caller passes the secret and the time.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import User
from postal_gateway.consents import audit
from postal_gateway.core.domain import N_, Forbidden, NotFound
from postal_gateway.dossiers.models import DossierDocument
from postal_gateway.workbench.services import officer_dossier

#: how long a link made on the dossier page opens its scan
LINK_LIFETIME = timedelta(minutes=5)
#: the audit log's action for one view
VIEWED = "dossier.scan_viewed"
_SALT = "workbench-scan-link"


class ScanLinkRefused(Forbidden):
    """The link is expired, altered or made for someone else: the dossier page makes a fresh one."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def sign_link(secret: str, *, document_id: int, officer_id: int) -> str:
    """The token of one document's link for one officer (the time of signing is inside)."""
    return _serializer(secret).dumps({"d": document_id, "o": officer_id})


def documents_of(session: Session, dossier) -> list[DossierDocument]:
    return list(session.scalars(select(DossierDocument).where(DossierDocument.dossier_id == dossier.id)
                                .order_by(DossierDocument.id)))


def open_scan(session: Session, *, officer: User | None, code: str, document_id: int, token: str, secret: str,
              now: datetime) -> DossierDocument:
    """The document, for its dossier's agency's officer holding a fresh link of their own; the view is
    audited. Forbidden for an expired, altered or someone else's link; NotFound for another agency."""
    dossier = officer_dossier(session, officer, code)
    try:
        payload, signed_at = _serializer(secret).loads(token or "", return_timestamp=True)
    except BadSignature:
        raise ScanLinkRefused(N_("Liên kết xem bản quét không hợp lệ; mở lại từ trang hồ sơ.")) from None
    if not isinstance(payload, dict) or payload.get("d") != document_id or payload.get("o") != officer.id:
        raise ScanLinkRefused(N_("Liên kết xem bản quét không hợp lệ; mở lại từ trang hồ sơ."))
    if now - signed_at > LINK_LIFETIME or signed_at - now > timedelta(minutes=1):
        raise ScanLinkRefused(N_("Liên kết xem bản quét đã hết hạn; mở lại từ trang hồ sơ."))
    document = session.get(DossierDocument, document_id)
    if document is None or document.dossier_id != dossier.id:
        raise NotFound(N_("Không tìm thấy bản quét."))
    audit.record(session, action=VIEWED, subject_type="dossier_document", subject_id=document.id, actor=officer,
                 at=now, details={"dossier_id": dossier.id, "dossier_code": dossier.code or dossier.shipment_number,
                                  "title": document.title[:200], "filename": document.filename})
    return document
