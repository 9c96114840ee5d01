"""create_app(): settings, database, extensions and every area's blueprints."""
from __future__ import annotations

import logging

from flask import Flask, has_request_context, jsonify, redirect, request, session
from flask_babel import Babel, get_locale, gettext
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

import postal_gateway.models  # noqa: F401 - every table class loaded before any relationship resolves
from payments.sandbox import routes as vnpay_sandbox_routes
from payments.terminals import check_terminals
from postal_gateway import access, bootstrap
from postal_gateway.api import blueprint as api_docs
from postal_gateway.api import request_guards
from postal_gateway.areas import area_parts
from postal_gateway.cli import register_commands
from postal_gateway.core import domain, formatting
from postal_gateway.core.config import Settings, use_settings
from postal_gateway.core.db import bind_engine, db_session, make_engine
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.notifications import zalo, zalo_routes
from postal_gateway.notifications.service import Dispatcher
from postal_gateway.notifications.zalo_sandbox import routes as zalo_sandbox_routes
from postal_gateway.web import auth, errors, security_headers, throttling
from postal_gateway.web import home as web
from postal_gateway.web.safe_redirects import safe_path_from_url

SUPPORTED_LOCALES = ("vi", "en")
csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    # Vietnamese unless the person picked English: staff phones are often set to English.
    return "vi"


def _gettext_in_request(message: str) -> str:
    """The reader's language inside a request; the message id elsewhere (workers, commands)."""
    return gettext(message) if has_request_context() else message


def create_app(settings: Settings | None = None, *, notification_dispatcher: Dispatcher | None = None) -> Flask:
    """The web app; ``notification_dispatcher`` replaces the Celery task that delivers committed
    messages (tests pass theirs, see postal_gateway.bootstrap)."""
    settings = use_settings(settings or Settings.from_environment())  # also for this process's tasks and threads
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes * 12,  # a whole checklist of scans
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE=VIETNAM.key,
        TESTING=settings.testing,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    trust_reverse_proxies(app, settings.trusted_proxy_count)
    app.extensions["engine"] = engine = make_engine(settings.database_url)
    bind_engine(engine)
    # Refuses to start with the VNPay sandbox beside a real terminal, or a real terminal without its secret.
    check_terminals(settings, engine)
    zalo.check_zalo_settings(settings)  # the Zalo sandbox never beside a real Zalo app
    # Session listeners, the calendar's overrides, the message dispatcher, logs: see bootstrap.
    bootstrap.wire_app(settings, notification_dispatcher=notification_dispatcher)

    babel.init_app(app, locale_selector=select_locale)
    domain.install_translator(_gettext_in_request)
    csrf.init_app(app)
    auth.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    security_headers.init_app(app)
    throttling.init_app(app, settings)
    request_guards.init_app(app)  # before the blueprints: their integer URL segments use its converter
    _register_blueprints(app)
    if settings.vnpay_sandbox:  # a development tool: its routes exist only when switched on
        _register_area_blueprints(app, vnpay_sandbox_routes)
    _register_area_blueprints(app, zalo_routes)  # the OA's webhook, signed by Zalo
    if settings.zalo_sandbox:  # a development tool, like the VNPay sandbox
        _register_area_blueprints(app, zalo_sandbox_routes)
    _register_template_helpers(app)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db_session.remove()

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/lang/<code>")
    def choose_language(code: str):
        if code in SUPPORTED_LOCALES:
            session["lang"] = code
        return redirect(safe_path_from_url(request.referrer, request.host_url))

    register_commands(app)
    logging.getLogger(__name__).debug("app created for %s", engine.url.render_as_string())
    return app


def trust_reverse_proxies(app: Flask, count: int) -> None:
    """Behind ``count`` reverse proxies of our own, request.remote_addr becomes the client as the
    nearest of them saw it; entries further left in X-Forwarded-For (anyone can write them) are ignored."""
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _register_blueprints(app: Flask) -> None:
    """Each area's ``blueprint`` module exports ``blueprint`` (pages) and may export ``api``.

    API blueprints authenticate with bearer tokens only, so they carry no CSRF token.
    """
    for module in (web, *area_parts("blueprint"), api_docs):
        _register_area_blueprints(app, module)


def _register_area_blueprints(app: Flask, module) -> None:
    app.register_blueprint(module.blueprint)
    api = getattr(module, "api", None)
    if api is not None:
        csrf.exempt(api)
        app.register_blueprint(api)


def _money_for_the_page(amount: int | None, unit: str = "₫") -> str:
    """Money on a page, grouped the way the reader's chosen language writes numbers."""
    return formatting.format_vnd(amount, unit, locale=str(get_locale() or formatting.MONEY_LOCALE))


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["vnd"] = _money_for_the_page
    app.jinja_env.filters["local_datetime"] = formatting.format_local_datetime
    app.jinja_env.filters["local_date"] = formatting.format_local_date

    @app.context_processor
    def _inject_locale():
        return {"current_locale": str(get_locale())}
