"""Login, logout, password change, and confirming one's password before signing ("fresh" login).

Approving and issuing a decision are signatures: they need the password typed within the last
``FRESH_LOGIN_MINUTES`` (``fresh_login_required``). Flask-Login's own notion of freshness only tells a
password login from a remember-me cookie, so a session left open all day would still count as fresh:
the time of the last password entry is kept in the session instead (``session["auth_at"]``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from awards import accounts, audit
from awards.extensions import db, limiter, login_manager
from forms.auth import ChangePasswordForm, ConfirmPasswordForm, LoginForm

bp = Blueprint("auth", __name__)
P = ParamSpec("P")
R = TypeVar("R")


@login_manager.user_loader
def load_user(token: str):  # type: ignore[no-untyped-def]
    return accounts.load_user_by_token(token)


def safe_next(target: str | None) -> str | None:
    """Return ``target`` only if it is a path on this site (no scheme, no host, no ``//`` or ``\\``)."""
    if not target:
        return None
    target = target.strip()
    if target.startswith(("//", "/\\")) or "\\" in target or not target.startswith("/"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.authenticate(form.username.data, form.password.data)
        db.session.commit()  # failures are counted even when the login is refused
        if result.outcome is accounts.LoginOutcome.OK:
            next_url = safe_next(request.args.get("next"))
            session.clear()  # no session fixation: nothing from before the login survives
            login_user(result.user, remember=form.remember.data)
            session.permanent = True
            mark_fresh()
            if result.user.must_change_password:
                flash(_("Vui lòng đổi mật khẩu ban đầu trước khi làm việc."), "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(next_url or url_for("core.index"))
        # One message for an unknown name, a wrong password, a locked and a deactivated account:
        # a different one for "locked" would tell a guesser which usernames exist.
        flash(
            _(
                "Tên đăng nhập hoặc mật khẩu không đúng. Sau %(n)d lần sai liên tiếp, tài khoản "
                "bị tạm khóa %(m)d phút; nếu cần hỗ trợ, hãy liên hệ quản trị hệ thống.",
                n=current_app.config["LOGIN_MAX_FAILURES"],
                m=current_app.config["LOGIN_LOCKOUT_MINUTES"],
            ),
            "danger",
        )
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    audit.record("logout", "users", current_user.id)
    # Sessions live in signed cookies: rotating the token is what makes a copied cookie worthless
    # after logout (it also ends the user's other sessions, which we accept for a government system).
    accounts.rotate_session_token(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except accounts.WrongPasswordError as error:
            form.current.errors.append(str(error))
        except accounts.AccountError as error:
            form.new.errors.append(str(error))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session under the new token
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."), "success")
            return redirect(url_for("core.index"))
    return render_template("auth/change_password.html", form=form)


# --------------------------------------------------------------------------- fresh login


def mark_fresh() -> None:
    session["auth_at"] = int(time.time())


def is_fresh() -> bool:
    """Whether the password was typed in this session within ``FRESH_LOGIN_MINUTES``."""
    typed = session.get("auth_at")
    limit = current_app.config["FRESH_LOGIN_MINUTES"] * 60
    return isinstance(typed, int) and 0 <= time.time() - typed <= limit


def fresh_login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send the user to confirm their password first when it is not fresh. A GET comes back to the same
    page; a POST comes back to the page it was sent from (its form must be submitted again)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if is_fresh():
            return view(*args, **kwargs)
        if request.method == "GET":
            back = request.full_path.rstrip("?")
        else:
            referrer = urlsplit(request.referrer or "")
            back = safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
            back = back or url_for("core.index")
        flash(_("Vui lòng nhập lại mật khẩu để xác nhận trước khi ký duyệt."), "warning")
        return redirect(url_for("auth.confirm", next=back))

    return wrapper


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def confirm() -> Response | str:
    form = ConfirmPasswordForm()
    next_url = safe_next(request.args.get("next")) or url_for("core.index")
    if form.validate_on_submit():
        result = accounts.authenticate(current_user.username, form.password.data)
        db.session.commit()  # failures count toward the lockout, as at login
        if result.outcome is accounts.LoginOutcome.OK and result.user.id == current_user.id:
            mark_fresh()
            return redirect(next_url)
        form.password.errors.append(_("Mật khẩu không đúng."))
    return render_template("auth/confirm.html", form=form, next_url=next_url)
