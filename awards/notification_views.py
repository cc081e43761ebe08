"""Each user's in-app notifications: the list, opening one (marks it read), marking all read."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from awards import notifications
from awards.auth import safe_next
from awards.extensions import db
from awards.paging import requested_page
from forms.auth import ConfirmForm
from models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index() -> str:
    stmt = (
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    page = db.paginate(stmt, page=requested_page(), per_page=50, error_out=False)
    return render_template("notifications/index.html", page=page)


@bp.route("/<int:notification_id>", methods=["POST"])
@login_required
def open_one(notification_id: int) -> Response:
    """Mark one notification read and follow its link (a path in this app only)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        notifications.mark_read(notification)
        db.session.commit()
    return redirect(safe_next(notification.link) or url_for(".index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all() -> Response:
    if ConfirmForm().validate_on_submit():
        for notification in notifications.unread(current_user):
            notifications.mark_read(notification)
        db.session.commit()
    return redirect(url_for(".index"))
