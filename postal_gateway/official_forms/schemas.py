"""The forms API's shapes: a dossier's stored forms (01–04) as a list."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from postal_gateway.official_forms.issuing import IssuedForm


class IssuedFormOut(BaseModel):
    """One issued form: which, its number as printed, who issued it and when; ``pdf_url`` fetches it."""

    model_config = ConfigDict(title="IssuedForm")

    id: int
    form_no: int = Field(ge=1, le=4, description="1 Giấy tiếp nhận, 2 Phiếu yêu cầu bổ sung, 3 Phiếu từ chối, 4 Phiếu "
                                                  "xin lỗi (Thông tư 01/2018/TT-VPCP).")
    title: str
    number_line: str = Field(description='As printed, e.g. "Số: 12/YCBS" (per issuing agency and year).')
    year: int
    number: int
    issuer_name: str
    issued_at: datetime
    pdf_url: str

    @classmethod
    def of(cls, form: IssuedForm, pdf_url: str) -> IssuedFormOut:
        return cls(id=form.id, form_no=form.form_no, title=form.title, number_line=form.number_line, year=form.year,
                   number=form.number, issuer_name=form.issuer_name, issued_at=form.issued_at, pdf_url=pdf_url)


class IssuedFormsOut(BaseModel):
    """A dossier's stored forms the caller may read, oldest first."""

    model_config = ConfigDict(title="IssuedForms")

    items: list[IssuedFormOut]
