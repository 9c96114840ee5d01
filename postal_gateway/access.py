"""Who may call each endpoint, and on whose data: the one authorisation matrix of the application.

Every endpoint of ``app.url_map`` has a row. A row gives, per role, the reach of that role: the
objects it may act on (its own, its post office's, its agency's, anyone's), or says the endpoint is
public. ``init_app`` enforces the role level before any view runs and refuses an endpoint the matrix
does not name (deny by default). The object level (citizen B on citizen A's dossier, the staff of
post office 2 on post office 1's shipment) stays in the services and views, which scope every query
to the caller; ``tests/security/test_access_matrix.py`` walks every row for every role to prove both levels.
The views keep their own role decorators as a second line of defence.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from flask import Flask, Response, request
from flask_login import current_user

from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import N_, Forbidden
from postal_gateway.web.auth import login_manager


class Reach(str, enum.Enum):
    #: every object of its kind (or no object at all: a form, a search, the caller's own list)
    anyone = "anyone"
    #: only the caller's own: a citizen's dossiers and consents, a worker's own shift or wizard
    own = "own"
    #: only the objects of the caller's post office
    post_office = "post_office"
    #: only the objects of the caller's agency
    agency = "agency"
    #: a dossier of the caller's agency, or one the caller's agency was asked an opinion on (liên thông,
    #: Điều 10.2.g): the dossier's apology form only
    procedure = "procedure"


@dataclass(frozen=True)
class Rule:
    """One row: the reach of each role allowed, or public (no login at all)."""

    reach: Mapping[Role, Reach] = field(default_factory=dict)
    public: bool = False
    #: a machine caller with its own secret (Prometheus): no user role, the view checks the secret
    service_secret: bool = False

    def allows(self, role: Role | None) -> bool:
        """Whether a caller holding ``role`` (None: not signed in) gets past the role level."""
        return self.public or self.service_secret or (role is not None and role in self.reach)


def roles(reach_by_role: Mapping[Role, Reach]) -> Rule:
    """A row for signed-in callers: only the roles named, each with its reach."""
    return Rule(reach=MappingProxyType(dict(reach_by_role)))


PUBLIC = Rule(public=True)
SERVICE_SECRET = Rule(service_secret=True)

ANYONE, OWN, OFFICE, AGENCY = Reach.anyone, Reach.own, Reach.post_office, Reach.agency
PROCEDURE = Reach.procedure
CITIZEN, POSTAL, MANAGER = Role.citizen, Role.postal_staff, Role.office_manager
OFFICER, HEAD, OPERATOR = Role.agency_staff, Role.agency_admin, Role.operator


def _post_office(reach: Reach) -> dict[Role, Reach]:
    """Postal staff and their office manager, who has all of their rights."""
    return {POSTAL: reach, MANAGER: reach}


def _agency(reach: Reach = AGENCY) -> dict[Role, Reach]:
    return {OFFICER: reach, HEAD: reach}


EVERY_ROLE = roles({role: ANYONE for role in Role})
POSTAL_ANY = roles(_post_office(ANYONE))
POSTAL_OFFICE = roles(_post_office(OFFICE))
POSTAL_OWN = roles(_post_office(OWN))
AGENCY_ONLY = roles(_agency())
AGENCY_HEAD = roles({HEAD: AGENCY})
OPERATOR_ONLY = roles({OPERATOR: ANYONE})
CITIZEN_OWN = roles({CITIZEN: OWN})
#: a dossier: its citizen, its post office, its agency, the operator (dossiers.services.can_view)
DOSSIER_READERS = roles({CITIZEN: OWN, **_post_office(OFFICE), **_agency(), OPERATOR: ANYONE})
#: resubmitting a dossier sent back for completion (Điều 12.1.c): its citizen, the post office that submitted it
RESUBMITTERS = roles({CITIZEN: OWN, **_post_office(OFFICE)})
#: a consent: its citizen and the post office it authorises (consents.services.can_revoke)
CONSENT_PARTIES = roles({CITIZEN: OWN, **_post_office(OFFICE)})
#: tracking: postal staff on their office's legs, the operator on all
TRACKERS = roles({**_post_office(OFFICE), OPERATOR: ANYONE})
#: the SLA clocks (Điều 25.2): the trackers, and each agency's officers on the legs of their own agency's dossiers
CLOCK_READERS = roles({**_post_office(OFFICE), **_agency(), OPERATOR: ANYONE})
STATISTICS_READERS = roles({**_agency(), OPERATOR: ANYONE})
CONTRACT_READERS = roles({**_agency(), OPERATOR: ANYONE})
#: forms 05 and 06 (Điều 9.2.a, 9.3.c): the agency's officers on its own dossiers, operators on every agency's
OFFICIAL_FORM_READERS = roles({**_agency(), OPERATOR: ANYONE})
#: a stored form 01-04: the dossier's readers, and the officers of the agency that issued it (a cooperating
#: agency's apology letter)
FORM_READERS = DOSSIER_READERS

#: A row per endpoint; a row may instead map HTTP methods to rules when reading and writing differ.
MATRIX: Mapping[str, Rule | Mapping[str, Rule]] = MappingProxyType({
    # --- public pages, health, the API's description -------------------------------------------
    "static": PUBLIC,
    "healthz": PUBLIC,
    "choose_language": PUBLIC,
    "web.home": PUBLIC,
    "web.favicon": PUBLIC,
    "api.docs": PUBLIC,
    "api.openapi_document": PUBLIC,
    "integration.readyz": PUBLIC,
    #: scraped by Prometheus with METRICS_TOKEN (checked by the view), or read by an operator signed in
    "integration.prometheus_metrics": Rule(reach=MappingProxyType({OPERATOR: ANYONE}), service_secret=True),
    # --- accounts -------------------------------------------------------------------------------
    "accounts.login": PUBLIC,
    "accounts.logout": PUBLIC,
    "accounts.register": PUBLIC,
    "accounts.activate": PUBLIC,
    "accounts.resend_activation": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts_api.create_token": PUBLIC,
    "accounts_api.revoke_token": roles({role: OWN for role in Role}),
    # any post office serves any citizen (Điều 20.1): citizens are not one office's data
    "accounts.find_citizen": POSTAL_ANY,
    "accounts.register_citizen_for": POSTAL_ANY,
    "accounts.citizen_detail": POSTAL_ANY,
    "accounts.activate_citizen": POSTAL_ANY,
    "accounts.resend_citizen_code": POSTAL_ANY,
    # the real holder of a taken ID number reclaims it with the card in hand, at a post office or agency
    "accounts.reclaim_identity": roles({**_post_office(ANYONE), **_agency(ANYONE)}),
    "accounts_api.api_register_citizen": POSTAL_ANY,
    "accounts_api.api_find_citizens": POSTAL_ANY,
    "accounts_api.api_activate_citizen": POSTAL_ANY,
    "accounts_api.api_get_citizen": roles({CITIZEN: OWN, **_post_office(ANYONE)}),
    # --- the working calendar: the operator's page, as the command line ---------------
    "calendar.page": OPERATOR_ONLY,
    "calendar.add_day": OPERATOR_ONLY,
    "calendar.remove_day": OPERATOR_ONLY,
    # --- catalogue (R-03: public) ---------------------------------------------------------------
    "catalogue.list_procedures": PUBLIC,
    "catalogue.procedure_detail": PUBLIC,
    "catalogue.not_by_post": PUBLIC,
    "catalogue_api.api_list_procedures": PUBLIC,
    "catalogue_api.api_procedure": PUBLIC,
    "catalogue_api.api_agency": PUBLIC,
    "catalogue.import_page": OPERATOR_ONLY,
    "catalogue.review_page": OPERATOR_ONLY,
    "catalogue.confirm_review": OPERATOR_ONLY,
    # --- consents (R-02) --------------------------------------------------------------------------
    "consents.start": POSTAL_ANY,
    "consents.confirm": POSTAL_OFFICE,
    "consents.detail": CONSENT_PARTIES,
    "consents.scan": CONSENT_PARTIES,
    "consents.revoke": CONSENT_PARTIES,
    # a signed scan is reviewed by a second person of the office it authorises, or confirmed by the citizen
    "consents.review": POSTAL_OFFICE,
    "consents.confirm_mine": CITIZEN_OWN,
    "consents_api.api_review_consent": POSTAL_OFFICE,
    # the list shows only the consents given to the caller's post office
    "consents.citizen_consents": POSTAL_ANY,
    "consents.my_consents": CITIZEN_OWN,
    "consents_api.api_request_consent": POSTAL_ANY,
    "consents_api.api_confirm_consent": POSTAL_OFFICE,
    "consents_api.api_revoke_consent": CONSENT_PARTIES,
    "consents_api.api_citizen_consents": roles({CITIZEN: OWN, **_post_office(ANYONE)}),
    # --- dossiers: intake wizard (its state lives in the worker's own session) -------------------
    "dossiers.intake_start": POSTAL_ANY,
    "dossiers.intake_create": POSTAL_ANY,
    "dossiers.intake_checklist": POSTAL_OWN,
    "dossiers.intake_scans": POSTAL_OWN,
    "dossiers.intake_pages": POSTAL_OWN,
    "dossiers.intake_page_move": POSTAL_OWN,
    "dossiers.intake_page_delete": POSTAL_OWN,
    "dossiers.intake_page_thumbnail": POSTAL_OWN,
    "dossiers.intake_collection": POSTAL_OWN,
    "dossiers.intake_review": POSTAL_OWN,
    "dossiers_api.api_create_dossier": POSTAL_ANY,
    "dossiers.list_dossiers": DOSSIER_READERS,
    "dossiers_api.api_list_dossiers": DOSSIER_READERS,
    "dossiers.dossier_detail": DOSSIER_READERS,
    "dossiers.slip_pdf": DOSSIER_READERS,
    "dossiers.consignment_pdf": DOSSIER_READERS,
    "dossiers_api.api_get_dossier": DOSSIER_READERS,
    "dossiers_api.api_slip_pdf": DOSSIER_READERS,
    "dossiers.resubmit": RESUBMITTERS,
    "dossiers_api.api_resubmit": RESUBMITTERS,
    # --- lookup (R-19: anyone, by code or ID number) ----------------------------------------------
    "lookup.lookup_page": PUBLIC,
    "lookup_api.api_lookup": PUBLIC,
    # --- notifications ----------------------------------------------------------------------------
    "notifications.outbox": OPERATOR_ONLY,
    "notifications.my_preferences": CITIZEN_OWN,
    "notifications_api.api_get_preferences": CITIZEN_OWN,
    "notifications_api.api_put_preferences": CITIZEN_OWN,
    # --- one-stop workbench: officers of the dossier's agency --------------------------------------
    "workbench.queue": AGENCY_ONLY,
    "workbench.receive_scan": AGENCY_ONLY,
    "workbench.receive_compare": AGENCY_ONLY,
    "workbench.dossier": AGENCY_ONLY,
    # the link is signed for one officer and lives 5 minutes; the agency is checked again (workbench.scans)
    "workbench.document": AGENCY_ONLY,
    "workbench.accept": AGENCY_ONLY,
    "workbench.request_completion": AGENCY_ONLY,
    "workbench.refuse": AGENCY_ONLY,
    "workbench.apology": AGENCY_ONLY,
    "workbench.apology_pdf": AGENCY_ONLY,
    "workbench.forward_apology": AGENCY_ONLY,
    # a cooperating agency's officers reach it through their opinion request (workbench.services.apology_form_dossier)
    "workbench.apology_form": roles(_agency(PROCEDURE)),
    "workbench.ask_opinion": AGENCY_ONLY,
    "workbench.record_opinion": AGENCY_ONLY,
    "workbench.reject": AGENCY_ONLY,
    "workbench.result_ready": AGENCY_ONLY,
    "workbench.return_result": AGENCY_ONLY,
    "workbench.step": AGENCY_ONLY,
    "workbench.supplement": AGENCY_ONLY,
    "workbench.supplement_received": AGENCY_ONLY,
    "workbench.withdraw": AGENCY_ONLY,
    "workbench_api.api_queue": AGENCY_ONLY,
    "workbench_api.api_dossier": AGENCY_ONLY,
    "workbench_api.api_action": AGENCY_ONLY,
    "workbench_api.api_apology_pdf": AGENCY_ONLY,
    "workbench_api.api_handover": AGENCY_ONLY,
    # --- the one-stop office's control sheet and register book (forms 05, 06): its agency, operators --
    "official_forms.stored_form_pdf": FORM_READERS,
    "official_forms_api.api_dossier_forms": FORM_READERS,
    "official_forms_api.api_stored_form_pdf": FORM_READERS,
    "official_forms.control_sheet_pdf": OFFICIAL_FORM_READERS,
    "official_forms.register_page": OFFICIAL_FORM_READERS,
    "official_forms.register_xlsx": OFFICIAL_FORM_READERS,
    "official_forms.register_pdf": OFFICIAL_FORM_READERS,
    # --- statistics (R-21) ------------------------------------------------------------------------
    "statistics.page": STATISTICS_READERS,
    "statistics.export_xlsx": STATISTICS_READERS,
    "statistics.export_pdf": STATISTICS_READERS,
    "statistics_api.api_statistics": STATISTICS_READERS,
    # --- payments ---------------------------------------------------------------------------------
    "payments.pay_dossier": CITIZEN_OWN,
    "payments.start": CITIZEN_OWN,
    # VNPay's browser return and server-to-server IPN: public, trusted only by their signature
    "payments.vnpay_return": PUBLIC,
    "payments.vnpay_ipn": PUBLIC,
    # an agency admin authorises refunds; its officers see them
    "payments.refunds_page": {"GET": AGENCY_ONLY, "POST": AGENCY_HEAD},
    "payments_api.api_dossier": AGENCY_ONLY,
    "payments_api.api_refund": AGENCY_HEAD,
    # a lệ phí taken in cash goes back through the post; the agency owes it, its admin authorises (Điều 14.2.c)
    "payments.cash_refund": AGENCY_HEAD,
    "payments_api.api_cash_refund": AGENCY_HEAD,
    # a reconciliation day is the caller's agency's: the day in the path names no other agency's
    "payments.reconciliation_index": AGENCY_ONLY,
    "payments.reconciliation_day": AGENCY_ONLY,
    "payments.import_file": AGENCY_ONLY,
    "payments.fetch_file": AGENCY_ONLY,
    "payments.run": AGENCY_ONLY,
    "payments.resolve": AGENCY_ONLY,
    "payments.report": AGENCY_ONLY,
    "payments.sign_off": AGENCY_HEAD,
    "payments_api.api_reconciliation": AGENCY_ONLY,
    # the local stand-in for VNPay's own servers: called as VNPay is, without our accounts
    "payments_sandbox.pay_page": PUBLIC,
    "payments_sandbox.choose": PUBLIC,
    # the daily file of the agency's own demo terminal, like VNPay's merchant portal
    "payments_sandbox.daily_file": AGENCY_ONLY,
    "payments_sandbox_api.deliver": PUBLIC,
    "payments_sandbox_api.merchant_api": PUBLIC,
    # --- Zalo (issue 18): the OA's webhook is called by Zalo's servers, trusted only by its signature ---------
    "notifications_zalo_api.webhook": PUBLIC,
    # the local stand-in for Zalo (ZALO_SANDBOX): its phone page, and Zalo's endpoints called as Zalo is
    "zalo_sandbox.phone": PUBLIC,
    "zalo_sandbox.chat": PUBLIC,
    "zalo_sandbox.faults": PUBLIC,
    "zalo_sandbox_api.token": PUBLIC,
    "zalo_sandbox_api.zns": PUBLIC,
    "zalo_sandbox_api.oa_message": PUBLIC,
    # --- contracts, tariffs, cash books (R-17, R-18) -----------------------------------------------
    "contracts.public_postage": PUBLIC,
    "contracts_api.api_quote": EVERY_ROLE,
    "contracts.list_contracts": CONTRACT_READERS,
    "contracts.contract_detail": CONTRACT_READERS,
    "contracts.import_page": OPERATOR_ONLY,
    "contracts.limits_page": {"GET": roles({**_agency(ANYONE), OPERATOR: ANYONE}), "POST": OPERATOR_ONLY},
    "contracts.my_cash_book": POSTAL_OWN,
    "contracts.open_shift": POSTAL_OWN,
    "contracts.close_shift": POSTAL_OWN,
    "contracts.remittances": POSTAL_OFFICE,
    "contracts.shift_detail": roles({**_post_office(OFFICE), OPERATOR: ANYONE}),
    "contracts.remit": roles({**_post_office(OFFICE), OPERATOR: ANYONE}),
    # postal staff see what their own office collected for the agency
    "contracts.fee_statement": roles({**_post_office(OFFICE), **_agency(), OPERATOR: ANYONE}),
    # the office holding the dossier pays the authorised refund out of an open shift (Điều 14.2.c)
    "contracts.pay_refund": POSTAL_OFFICE,
    "contracts_api.api_pay_refund": POSTAL_OFFICE,
    # --- tracking (R-16) --------------------------------------------------------------------------
    "tracking.static": PUBLIC,
    "tracking.service_worker": PUBLIC,
    "tracking_api.api_record_events": TRACKERS,
    "tracking.handheld": TRACKERS,
    #: the day's run sheet: the worker's own office's stops (a worker has no other office to see)
    "tracking.run_sheet_page": POSTAL_OFFICE,
    "tracking_api.api_run_sheet": POSTAL_OFFICE,
    "tracking.sync": TRACKERS,
    "tracking.sync_words": TRACKERS,
    #: a shipment's state and the events allowed now: the offices holding a leg of it (custody), operators
    "tracking.progress": TRACKERS,
    "tracking_api.api_shipment_progress": TRACKERS,
    "tracking.manager": CLOCK_READERS,
    "tracking.export": CLOCK_READERS,
    "tracking.compensations": TRACKERS,
    # staff of the office that lost the dossier propose; someone else approves and pays (Điều 25.2)
    "tracking.propose_compensation": TRACKERS,
    # the office manager approves what the office's postal staff propose (Điều 25.2)
    "tracking.approve_compensation": roles({MANAGER: OFFICE, OPERATOR: ANYONE}),
    "tracking.pay_compensation": TRACKERS,
})


def rule_for(endpoint: str, method: str) -> Rule | None:
    """The rule of this endpoint and HTTP method, or None when the matrix does not name them."""
    row = MATRIX.get(endpoint)
    if row is None or isinstance(row, Rule):
        return row
    return row.get("GET" if method == "HEAD" else method)


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def enforce_matrix() -> Response | None:
    """Refuse a request the matrix does not allow, before its view runs."""
    if request.url_rule is None or request.method == "OPTIONS":
        return None  # Flask answers 404/405 itself; OPTIONS carries no data
    rule = rule_for(request.url_rule.endpoint, request.method)
    if rule is None:
        raise Forbidden(N_("Tài khoản của bạn không có quyền thực hiện thao tác này."))
    if rule.public or rule.service_secret:
        return None
    # The API trusts bearer tokens only, so a page cannot be tricked into calling it (CSRF).
    signed_in = current_user.is_authenticated and (
        not _is_api(request.path) or getattr(current_user, "via_token", False)
    )
    if not signed_in:
        return login_manager.unauthorized()
    if not rule.allows(current_user.user.role):
        raise Forbidden(N_("Tài khoản của bạn không có quyền thực hiện thao tác này."))
    return None


def init_app(app: Flask) -> None:
    app.before_request(enforce_matrix)
