"""Browsing the audit trail (administrators)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from awards import clock
from awards.extensions import db
from awards.paging import requested_page
from awards.permissions import roles_required
from models import AuditEvent, Role

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Người thực hiện"), validators=[Optional(), Length(max=64)])
    object_type = StringField(_l("Loại đối tượng"), validators=[Optional(), Length(max=64)])
    object_id = StringField(_l("Mã đối tượng"), validators=[Optional(), Length(max=64)])
    action = StringField(_l("Thao tác"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("Từ ngày"), validators=[Optional()])
    until = DateField(_l("Đến ngày"), validators=[Optional()])


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> str:
    form = AuditFilterForm(request.args)
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if form.validate():
        if form.actor.data:
            stmt = stmt.where(AuditEvent.actor_name == form.actor.data.strip().lower())
        if form.object_type.data:
            stmt = stmt.where(AuditEvent.object_type == form.object_type.data.strip())
        if form.object_id.data:
            stmt = stmt.where(AuditEvent.object_id == form.object_id.data.strip())
        if form.action.data:
            stmt = stmt.where(AuditEvent.action == form.action.data.strip())
        # The days are Vietnamese calendar days; the trail is stored in UTC.
        if form.since.data:
            stmt = stmt.where(AuditEvent.created_at >= clock.start_of_day_utc(form.since.data))
        if form.until.data:
            next_day = form.until.data + timedelta(days=1)
            stmt = stmt.where(AuditEvent.created_at < clock.start_of_day_utc(next_day))
    page = db.paginate(stmt, page=requested_page(), per_page=50, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/index.html", form=form, page=page, args=args)
