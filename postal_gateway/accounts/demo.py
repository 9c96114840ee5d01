"""Demo logins for a fresh installation (``flask load-demo``): one of each role, two citizens.

Every demo account uses the password DEMO_PASSWORD. Idempotent: an account whose e-mail already
exists is left as it is.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import IdKind, Role, User
from postal_gateway.accounts.passwords import hash_password
from postal_gateway.catalogue.models import Agency, PostOffice
from postal_gateway.core.db import utcnow

DEMO_PASSWORD = "demo12345!"

# Citizens: valid citizen IDs (070 = Bình Phước; 4th digit 0 = man born 19xx, 1 = woman born 19xx) and mobiles.
DEMO_CITIZENS = (
    {
        "full_name": "Nguyễn Văn An",
        "id_number": "070085001234",
        "phone": "+84912000101",
        "email": "nguyen.van.an@demo.dichvucong.vn",
        "address": "Số 12 đường Phú Riềng Đỏ, phường Tân Phú, thành phố Đồng Xoài, Bình Phước",
    },
    {
        "full_name": "Trần Thị Bích Ngọc",
        "id_number": "070190004567",
        "phone": "+84987000202",
        "email": "tran.thi.bich.ngoc@demo.dichvucong.vn",
        "address": "Ấp 3, xã Tiến Hưng, thành phố Đồng Xoài, Bình Phước",
    },
)


def _ensure(session: Session, lines: list[str], email: str, login: str, **fields) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, password_hash=hash_password(DEMO_PASSWORD), is_active=True, activated_at=utcnow(), **fields)
        session.add(user)
        session.flush()
    lines.append(f"{user.role.value}: {login} / {DEMO_PASSWORD}")
    return user


def load_demo_users(session: Session) -> list[str]:
    """Create the missing demo accounts; returns "role: login / password" lines to print."""
    lines: list[str] = []
    _ensure(session, lines, "operator@demo.buudien.vn", "operator@demo.buudien.vn", role=Role.operator, full_name="Lê Minh Vận Hành", phone="")
    offices = session.scalars(select(PostOffice).order_by(PostOffice.code).limit(2)).all()
    postal_staff = (("Phạm Quốc Bảo", "buudien1@demo.buudien.vn"), ("Hoàng Thị Thu Hà", "buudien2@demo.buudien.vn"))
    for office, (name, email) in zip(offices, postal_staff):
        _ensure(session, lines, email, email, role=Role.postal_staff, full_name=name, phone="", post_office_id=office.id)
    if offices:  # trưởng bưu cục of the first office (Đồng Xoài): approves its staff's compensation proposals
        _ensure(session, lines, "buudien.truong@demo.buudien.vn", "buudien.truong@demo.buudien.vn",
                role=Role.office_manager, full_name="Trần Văn Trưởng", phone="", post_office_id=offices[0].id)
    agency = session.scalar(select(Agency).order_by(Agency.code).limit(1))
    if agency is not None:
        _ensure(session, lines, "motcua@demo.stttt.gov.vn", "motcua@demo.stttt.gov.vn", role=Role.agency_staff,
                full_name="Đỗ Thị Mai", phone="", agency_id=agency.id)
        _ensure(session, lines, "lanhdao@demo.stttt.gov.vn", "lanhdao@demo.stttt.gov.vn", role=Role.agency_admin,
                full_name="Vũ Đức Thắng", phone="", agency_id=agency.id)
    for citizen in DEMO_CITIZENS:
        existing = session.scalar(select(User).where(User.id_number == citizen["id_number"]))
        if existing is not None:
            lines.append(f"{existing.role.value}: {citizen['id_number']} / {DEMO_PASSWORD}")
            continue
        _ensure(session, lines, citizen["email"], citizen["id_number"], role=Role.citizen, id_kind=IdKind.citizen_id, **{
            key: value for key, value in citizen.items() if key != "email"
        })
    return lines
