"""Who is asking: page sessions (Flask-Login) and API bearer tokens, and role checks for both."""
from __future__ import annotations

import hashlib
from functools import wraps
from typing import Callable, Collection

from flask import Flask, g, redirect, request, url_for
from flask_babel import lazy_gettext
from flask_login import LoginManager, current_user
from sqlalchemy import select

from postal_gateway.accounts.models import POST_OFFICE_ROLES, ApiToken, Role, User
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import Forbidden
from postal_gateway.web.errors import problem, translate, wants_problem_json

login_manager = LoginManager()


class SessionUser:
    """Flask-Login's view of a User row; the row itself stays a plain model."""

    def __init__(self, user: User, via_token: bool = False) -> None:
        self.user = user
        self.via_token = via_token

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.user.is_active

    def get_id(self) -> str:
        # The session version travels in the cookie, so raising it ends every older session.
        return f"{self.user.id}:{self.user.session_version or 0}"

    def __getattr__(self, name: str):
        return getattr(self.user, name)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"

    @app.before_request
    def _forget_cached_user() -> None:
        # One app context may span several requests (tests, CLI); the user is per request.
        g.pop("_login_user", None)

    @login_manager.user_loader
    def _load_user(session_id: str):
        user = user_of_session(session_id)
        return SessionUser(user) if user is not None else None

    @login_manager.request_loader
    def _load_from_bearer(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = db_session.scalar(
            select(ApiToken).where(ApiToken.token_sha256 == token_digest(header[7:].strip()))
        )
        if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
            return None
        if not token.user.is_active or token.credentials_version != token.user.credentials_version:
            return None
        return SessionUser(token.user, via_token=True)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_problem_json():
            response = problem(401, translate("Cần mã truy cập hợp lệ (Authorization: Bearer …)."))
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def user_of_session(session_id: str) -> User | None:
    """The active user a page session's id ("user id:session version") still stands for, or None.

    A bare "user id", from cookies issued before session versions existed, counts as version 0:
    it ends at the user's first log-out or change of credentials like any other.
    """
    user_part, _, version_part = session_id.partition(":")
    version_part = version_part or "0"
    if not (user_part.isdigit() and version_part.isdigit()) or int(user_part) >= 2**31:
        return None
    user = db_session.get(User, int(user_part))
    if user is None or not user.is_active or (user.session_version or 0) != int(version_part):
        return None
    return user


def current_account() -> User | None:
    """The logged-in User row, or None."""
    if not current_user.is_authenticated:
        return None
    return current_user.user


def holds_role(role: Role, roles: Collection[Role]) -> bool:
    """Whether ``role`` is one of ``roles``; an office manager holds every right of its postal staff."""
    return role in roles or (role in POST_OFFICE_ROLES and Role.postal_staff in roles)


def roles_required(*roles: Role) -> Callable:
    """Allow only these roles; anonymous users are sent to log in, others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not holds_role(current_user.user.role, roles):
                raise Forbidden("Tài khoản của bạn không có quyền thực hiện thao tác này.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def api_auth(*roles: Role) -> Callable:
    """Guard an API view: a valid bearer token is required (session cookies do not count,
    so a page cannot be tricked into calling the API), and the token's user must hold a role."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated or not getattr(current_user, "via_token", False):
                return login_manager.unauthorized()
            if roles and not holds_role(current_user.user.role, roles):
                raise Forbidden("Tài khoản của bạn không có quyền thực hiện thao tác này.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
