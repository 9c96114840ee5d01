"""URLs of the accounts area: registration, activation, login, password reset, tokens."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import or_, select

from postal_gateway.accounts.models import User
from postal_gateway.accounts.passwords import verify_password
from postal_gateway.auth import SessionUser
from postal_gateway.db import db_session

blueprint = Blueprint("accounts", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our login page.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.home")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        identifier = request.form.get("identifier", "").strip().lower()
        password = request.form.get("password", "")
        user = db_session.scalar(
            select(User).where(or_(User.email == identifier, User.id_number == identifier.upper()))
        )
        if user is not None and verify_password(user.password_hash, password) and user.is_active:
            login_user(SessionUser(user))
            return redirect(_safe_next(request.args.get("next")))
        error = _("Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản chưa được kích hoạt.")
    return render_template("accounts/login.html", error=error), (401 if error else 200)


@blueprint.post("/logout")
def logout():
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("web.home"))
