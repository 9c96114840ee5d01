"""The home page and the menu (each role lands on what it does every day), and what every page shares."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user

from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import N_
from postal_gateway.web.auth import holds_role

blueprint = Blueprint("web", __name__)


@dataclass
class MenuItem:
    label: str
    url: str
    active: bool = False
    endpoint: str = ""


@dataclass
class TaskBar:
    """The postal worker's bottom bar on a phone: the daily tasks, and the rest of the menu under "Thêm"."""

    tasks: list[MenuItem]
    more: list[MenuItem]


# (endpoint, label id, roles that see it); None means everyone logged in.
MENU = (
    ("dossiers.intake_start", N_("Nhận hồ sơ"), {Role.postal_staff}),
    ("dossiers.list_dossiers", N_("Hồ sơ"), {Role.postal_staff, Role.agency_staff, Role.agency_admin, Role.operator}),
    ("accounts.find_citizen", N_("Công dân"), {Role.postal_staff}),
    ("catalogue.list_procedures", N_("Thủ tục"), None),
    ("tracking.handheld", N_("Hành trình"), {Role.postal_staff}),
    ("tracking.run_sheet_page", N_("Lộ trình hôm nay"), {Role.postal_staff}),
    ("contracts.my_cash_book", N_("Sổ thu tiền"), {Role.postal_staff}),
    ("workbench.queue", N_("Một cửa"), {Role.agency_staff, Role.agency_admin}),
    ("official_forms.register_page", N_("Sổ theo dõi"), {Role.agency_staff, Role.agency_admin, Role.operator}),
    ("statistics.page", N_("Thống kê"), {Role.agency_staff, Role.agency_admin, Role.operator}),
    ("tracking.manager", N_("Theo dõi toàn trình"),
     {Role.postal_staff, Role.office_manager, Role.agency_staff, Role.agency_admin, Role.operator}),
    ("contracts.list_contracts", N_("Hợp đồng"), {Role.operator, Role.agency_staff, Role.agency_admin}),
    ("payments.reconciliation_index", N_("Đối soát"), {Role.agency_staff, Role.agency_admin}),
    ("lookup.lookup_page", N_("Tra cứu"), None),
    ("dossiers.list_dossiers", N_("Hồ sơ của tôi"), {Role.citizen}),
    ("consents.my_consents", N_("Ủy quyền của tôi"), {Role.citizen}),
    ("notifications.my_preferences", N_("Nhận thông báo"), {Role.citizen}),
    ("notifications.outbox", N_("Hộp thư đi"), {Role.operator}),
    ("calendar.page", N_("Lịch làm việc"), {Role.operator}),
    ("catalogue.review_page", N_("Rà soát thủ tục"), {Role.operator}),
)

#: what a postal worker does many times a day, in the bottom bar on a phone (eight menu items do not fit 360 px)
DAILY_TASKS = ("dossiers.intake_start", "tracking.handheld", "contracts.my_cash_book", "dossiers.list_dossiers")


def main_menu() -> list[MenuItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in MENU:
        if roles is not None and not holds_role(current_user.user.role, roles):
            continue
        url = url_for(endpoint)  # every area is always there (areas.py): a missing endpoint is a bug
        items.append(MenuItem(_(label), url, request.path.startswith(url) and url != "/", endpoint))
    return items


def task_bar() -> TaskBar | None:
    """The bottom bar for postal staff and their office manager; None for every other role."""
    if not current_user.is_authenticated or not holds_role(current_user.user.role, {Role.postal_staff}):
        return None
    items = main_menu()
    tasks = sorted((item for item in items if item.endpoint in DAILY_TASKS),
                   key=lambda item: DAILY_TASKS.index(item.endpoint))
    return TaskBar(tasks=tasks, more=[item for item in items if item.endpoint not in DAILY_TASKS])


@blueprint.app_context_processor
def _inject_menu():
    return {"main_menu": main_menu, "task_bar": task_bar}


@blueprint.get("/")
def home():
    return render_template("home.html", url_rules=set(current_app.view_functions))


@blueprint.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on answers that name no icon (a PDF, /metrics)."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")
