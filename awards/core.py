"""Home page, language choice, health check, and the hooks every request goes through."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from awards import database
from awards.extensions import db
from forms.auth import LanguageForm
from models import Campaign, Round

bp = Blueprint("core", __name__)

# Endpoints a user who must change their password may still reach.
_PASSWORD_CHANGE_EXEMPT = frozenset(
    {
        "auth.change_password",
        "auth.logout",
        "core.healthz",
        "core.set_language",
        "static",
        "bootstrap.static",
    }
)


@bp.before_app_request
def require_password_change() -> Response | None:
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _PASSWORD_CHANGE_EXEMPT
    ):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/")
def index() -> Response | str:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.period_start.desc())).all()
    rounds = db.session.scalars(
        sa.select(Round).order_by(Round.ceremony_date.desc()).limit(10)
    ).all()
    return render_template("core/index.html", campaigns=campaigns, rounds=rounds)


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Switch the interface language; saved on the account when logged in, in the session otherwise."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    from awards.auth import safe_next

    return redirect(safe_next(request.form.get("next")) or url_for("core.index"))


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        database.ping()
    except Exception:  # any failure to reach the database is "unavailable", never a 500
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


def error_message(code: int) -> str:
    messages = {
        400: _("Yêu cầu không hợp lệ. Có thể biểu mẫu đã hết hạn: hãy tải lại trang và thử lại."),
        401: _("Vui lòng đăng nhập để tiếp tục."),
        403: _("Bạn không có quyền thực hiện thao tác này."),
        404: _("Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."),
        405: _("Thao tác này không được hỗ trợ theo cách bạn gửi."),
        409: _(
            "Hồ sơ vừa được người khác thay đổi nên thao tác của bạn chưa được lưu. "
            "Hãy tải lại trang để xem nội dung mới nhất rồi thao tác lại."
        ),
        413: _("Tệp hoặc dữ liệu gửi lên quá lớn. Hãy giảm dung lượng rồi gửi lại."),
        429: _(
            "Bạn thao tác quá nhiều lần trong thời gian ngắn. Vui lòng đợi một lát rồi thử lại."
        ),
        500: _("Hệ thống gặp lỗi. Thao tác của bạn chưa được lưu; vui lòng thử lại sau."),
    }
    return messages.get(code, messages[500])
