"""Vietnamese names of dossier statuses, as printed on the slip and shown on lookup pages.

The values are message ids (marked with ``N_``): pages translate them with ``_()``, the slip
prints them as they are because the form is a Vietnamese official document.
"""
from __future__ import annotations

from postal_gateway.core.domain import N_
from postal_gateway.dossiers.models import DossierStatus

STATUS_LABELS: dict[DossierStatus, str] = {
    DossierStatus.submitted: N_("Mới đăng ký"),
    DossierStatus.received: N_("Đã tiếp nhận"),
    DossierStatus.transferred: N_("Đã chuyển phòng chuyên môn"),
    DossierStatus.in_processing: N_("Đang xử lý"),
    DossierStatus.verification: N_("Đang thẩm định"),
    DossierStatus.result_ready: N_("Đã có kết quả, chờ trả"),
    DossierStatus.result_with_post: N_("Đã giao kết quả cho bưu chính"),
    DossierStatus.returned: N_("Đã trả kết quả"),
    DossierStatus.supplement_requested: N_("Yêu cầu bổ sung hồ sơ"),
    DossierStatus.rejected: N_("Từ chối giải quyết"),
    DossierStatus.overdue: N_("Quá hạn, đã hẹn lại"),
    DossierStatus.withdrawn: N_("Đã rút hồ sơ"),
    DossierStatus.completion_requested: N_("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
    DossierStatus.refused: N_("Từ chối tiếp nhận"),
}


def status_label(status: DossierStatus | str) -> str:
    """The Vietnamese label of a status; accepts the enum or its stored value."""
    return STATUS_LABELS[DossierStatus(status)]
