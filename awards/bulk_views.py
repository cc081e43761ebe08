"""Bulk filing (nhập hồ sơ từ Excel): the template of a round and the upload page.

For the clerks and heads of a unit, who file for their own unit only: the unit is the user's, never a
request parameter. The round is named by ``?round=CODE``; without it the page lists the rounds open for
nominations.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from awards.extensions import db
from awards.nomination_import import (
    can_file_in_bulk,
    closed_message,
    import_nominations,
    template_spec,
)
from awards.permissions import roles_required
from awards.rounds import round_or_404
from exports.nomination_template import build_template
from forms.bulk import BulkImportForm
from models import Role, Round, RoundPhase, Unit

bp = Blueprint("bulk", __name__, url_prefix="/nominations/bulk")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILERS = (Role.UNIT_CLERK, Role.UNIT_HEAD)


def _own_unit() -> Unit:
    if not can_file_in_bulk(current_user):
        abort(403)
    return current_user.unit


def _list_url(round_: Round) -> str:
    return url_for("nominations.index", round=round_.code)


@bp.route("/", methods=["GET", "POST"])
@roles_required(*FILERS)
def index() -> BaseResponse | str:
    unit = _own_unit()
    code = request.args.get("round", "")
    if not code:
        if request.method == "POST":
            abort(404)
        rounds = db.session.scalars(
            sa.select(Round)
            .where(Round.phase == RoundPhase.NOMINATING)
            .order_by(Round.nomination_closes, Round.code)
        ).all()
        return render_template("bulk/rounds.html", rounds=rounds, unit=unit)
    round_ = round_or_404(code)
    is_open = round_.phase is RoundPhase.NOMINATING
    form = BulkImportForm()
    result = None
    if is_open and form.validate_on_submit():
        result = import_nominations(round_, unit, current_user, form.file.data.read())
        if result.ok:
            db.session.commit()
            flash(_("Đã tạo %(n)d hồ sơ nháp.", n=result.created), "success")
            if result.flagged:
                flash(
                    _(
                        "%(n)d hồ sơ có thể trùng với hồ sơ đã có (cùng người hoặc cùng tập thể); "
                        "xem ghi chú trùng lặp trên từng hồ sơ.",
                        n=result.flagged,
                    ),
                    "warning",
                )
            return redirect(_list_url(round_))
        db.session.rollback()
    return render_template(
        "bulk/import.html",
        form=form,
        result=result,
        round=round_,
        unit=unit,
        is_open=is_open,
        closed=None if is_open else closed_message(round_),
        list_url=_list_url(round_),
    )


@bp.route("/template.xlsx")
@roles_required(*FILERS)
def template() -> BaseResponse:
    unit = _own_unit()
    round_ = round_or_404(request.args.get("round", ""))
    if round_.phase is not RoundPhase.NOMINATING:
        flash(closed_message(round_), "warning")
        return redirect(url_for("bulk.index", round=round_.code))
    spec = template_spec(round_, unit, input_rows=current_app.config["IMPORT_MAX_ROWS"])
    filename = "mau_ho_so_" + re.sub(r"[^A-Za-z0-9._-]", "_", round_.code) + ".xlsx"
    return Response(
        build_template(spec),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
