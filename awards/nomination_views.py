"""Nominations: the list (filters, search, sorting, pages, Excel export), the nomination form (new and
edit), the detail page with its history, and the workflow buttons other than submitting (which goes
through the unit's dossier).

Unit clerks and heads work on their own unit's nominations; the board, approvers and administrators read
every unit's. A nomination outside the user's scope answers 404, as if it did not exist. Views are thin:
load (404), gate (403), validate the form, call one service, commit once, flash, redirect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from awards import audit, clock, labels, nomination_lists, nominations, rounds, unit_tree, workflow
from awards.campaigns import format_decimal
from awards.database import writes_on_get
from awards.extensions import db
from awards.nominations import NominationError, StaleNominationError
from awards.paging import requested_page
from awards.permissions import PROVINCE_ROLES, roles_required
from forms.nominations import ActionForm, NominationFilterForm, NominationForm, nomination_form
from models import (
    AwardForm,
    Campaign,
    Criterion,
    CriterionGroup,
    Nomination,
    NominationEvent,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
    SelfScore,
    Unit,
)

bp = Blueprint("nominations", __name__, url_prefix="/nominations")

FILERS = (Role.UNIT_CLERK, Role.UNIT_HEAD)
READERS = (*FILERS, Role.BOARD, Role.APPROVER, Role.ADMIN)
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Submitting goes through the unit's dossier (Tờ trình), not through a button on one nomination.
ACTIONS_HERE = frozenset(workflow.TRANSITIONS) - {"submit"}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "state_labels": nomination_lists.NOMINATION_STATE_LABELS,
        "state_badges": nomination_lists.STATE_BADGES,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
        "sex_labels": nomination_lists.SEX_LABELS,
        "staff_category_labels": nomination_lists.STAFF_CATEGORY_LABELS,
        "action_labels": workflow.ACTION_LABELS,
        "decimal": format_decimal,
    }


def _is_province() -> bool:
    return current_user.has_role(*PROVINCE_ROLES)


def _get(nomination_id: int, *options: Any) -> Nomination:
    """The nomination, or 404 when it does not exist or lies outside the user's scope."""
    nomination = db.session.get(Nomination, nomination_id, options=list(options))
    if nomination is None or not nominations.can_view(nomination, current_user):
        abort(404)
    return nomination


def _to_detail(nomination: Nomination) -> BaseResponse:
    return redirect(url_for("nominations.detail", nomination_id=nomination.id))


# --------------------------------------------------------------------------- list and export


def _filter_form() -> tuple[NominationFilterForm, nomination_lists.ListFilters]:
    """The list's filter form read from the query string, and the filters it asks for."""
    province = _is_province()
    rounds = db.session.scalars(
        sa.select(Round).order_by(Round.ceremony_date.desc(), Round.code)
    ).all()
    award_forms = db.session.execute(
        sa.select(AwardForm.id, AwardForm.name, Campaign.code)
        .join(Campaign, AwardForm.campaign_id == Campaign.id)
        .order_by(Campaign.period_start.desc(), AwardForm.position, AwardForm.id)
    ).all()
    several_campaigns = len({row.code for row in award_forms}) > 1
    units = (
        [
            (str(row.id), f"{'— ' * row.depth}{row.code} · {row.name}")
            for row in unit_tree.tree_rows(include_retired=True)
        ]
        if province
        else []
    )
    form = NominationFilterForm(request.args)
    form.set_choices(
        rounds=[(r.code, f"{r.code} · {r.name}") for r in rounds],
        units=units,
        award_forms=[
            (str(row.id), f"{row.name} ({row.code})" if several_campaigns else row.name)
            for row in award_forms
        ],
    )
    form.validate()
    filters = form.filters(round_ids={r.code: r.id for r in rounds}, with_unit=province)
    return form, filters


@bp.route("/")
@roles_required(*READERS)
def index() -> str:
    form, filters = _filter_form()
    stmt = nomination_lists.list_statement(filters, nominations.visible_to(current_user))
    page = db.paginate(stmt, page=requested_page(), per_page=PER_PAGE, error_out=False)
    open_rounds = []
    if current_user.has_role(*FILERS) and current_user.unit_id is not None:
        open_rounds = db.session.scalars(
            sa.select(Round).where(Round.phase == RoundPhase.NOMINATING).order_by(Round.code)
        ).all()
    return render_template(
        "nominations/index.html",
        form=form,
        filters=filters,
        page=page,
        args=form.args(),
        province=_is_province(),
        open_rounds=open_rounds,
    )


@bp.route("/export.xlsx")
@roles_required(*READERS)
@writes_on_get
def export() -> Response:
    form, filters = _filter_form()
    data, count = nomination_lists.export_workbook(filters, nominations.visible_to(current_user))
    # The list carries personal data (dates of birth, citizen ids): who took a copy is on record.
    audit.record("export", "nominations", None, after={"rows": count, **form.args()})
    db.session.commit()
    return Response(
        data,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="ho_so_de_nghi_{clock.today():%Y%m%d}.xlsx"'
        },
    )


# --------------------------------------------------------------------------- the form


def _nominee_units(unit: Unit) -> list[tuple[int, str]]:
    """The filing unit and the units below it, in tree order, as choices for a collective's parent."""
    wanted = {unit.id} | unit_tree.descendant_ids(unit.id)
    rows = [row for row in unit_tree.tree_rows() if row.id in wanted]
    top = min((row.depth for row in rows), default=0)
    return [(row.id, f"{'— ' * (row.depth - top)}{row.code} · {row.name}") for row in rows]


def _form_page(
    form: NominationForm,
    round_: Round,
    kind: RecipientKind,
    *,
    nomination: Nomination | None,
    unit: Unit,
    status: int = 200,
) -> tuple[str, int]:
    can_still_file = workflow.can_file(round_, unit.id, clock.today())
    return (
        render_template(
            "nominations/form.html",
            form=form,
            round=round_,
            kind=kind,
            nomination=nomination,
            unit=unit,
            can_still_file=can_still_file,
        ),
        status,
    )


def _open_rounds() -> list[Round]:
    return list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.phase == RoundPhase.NOMINATING)
            .order_by(Round.ceremony_date, Round.code)
        )
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*FILERS)
def create() -> BaseResponse | tuple[str, int] | str:
    unit = current_user.unit
    if unit is None:
        abort(403)
    code = request.args.get("round", "").strip()
    kind_value = request.args.get("kind", "").strip()
    if not code and not kind_value and request.method == "GET":
        return render_template(
            "nominations/choose.html", rounds=_open_rounds(), today=clock.today()
        )
    round_ = rounds.round_by_code(code)
    if round_ is None or kind_value not in {k.value for k in RecipientKind}:
        abort(404)
    kind = RecipientKind(kind_value)
    if round_.phase is not RoundPhase.NOMINATING:
        flash(
            _(
                "Đợt xét %(code)s không ở giai đoạn nhận hồ sơ đề nghị: không lập được hồ sơ mới.",
                code=round_.code,
            ),
            "warning",
        )
        return redirect(url_for("nominations.create"))
    award_forms = nominations.award_forms_for(round_, kind)
    if not award_forms:
        flash(
            _("Đợt xét %(code)s không có hình thức khen thưởng dành cho đối tượng này.", code=code),
            "warning",
        )
        return redirect(url_for("nominations.create"))
    form = nomination_form(
        kind,
        criteria=nominations.criteria_for(round_, kind),
        award_forms=award_forms,
        nominee_units=_nominee_units(unit),
    )
    if form.is_submitted() and form.preview.data:
        form.validate()
    elif form.validate_on_submit():
        try:
            nomination = nominations.create_nomination(round_, unit, current_user, form.payload())
        except NominationError as error:
            db.session.rollback()
            form.attach_error(error)
        else:
            db.session.commit()
            flash(
                _(
                    "Đã lưu hồ sơ %(ref)s (đang soạn). Bổ sung đủ nội dung và minh chứng để thủ trưởng "
                    "đơn vị trình.",
                    ref=nomination.reference,
                ),
                "success",
            )
            return _to_detail(nomination)
    return _form_page(form, round_, kind, nomination=None, unit=unit)


@bp.route("/<int:nomination_id>/edit", methods=["GET", "POST"])
@roles_required(*FILERS)
def edit(nomination_id: int) -> BaseResponse | tuple[str, int]:
    nomination = _get(
        nomination_id, selectinload(Nomination.self_scores), selectinload(Nomination.past_awards)
    )
    if not nominations.can_edit(nomination, current_user):
        flash(
            _(
                "Hồ sơ ở trạng thái “%(state)s” hoặc đợt xét đã qua giai đoạn nhận hồ sơ: không sửa được.",
                state=nomination_lists.NOMINATION_STATE_LABELS[nomination.state],
            ),
            "warning",
        )
        return _to_detail(nomination)
    round_, kind = nomination.round, nomination.kind
    form = nomination_form(
        kind,
        criteria=nominations.criteria_for(round_, kind),
        award_forms=nominations.award_forms_for(round_, kind),
        nominee_units=_nominee_units(nomination.unit),
        nomination=nomination,
    )
    status = 200
    if form.is_submitted() and form.preview.data:
        form.validate()
    elif form.validate_on_submit():
        version = form.version.data if form.version.data is not None else -1
        try:
            nominations.update_nomination(nomination, form.payload(), version=version)
            db.session.commit()
        except (StaleNominationError, StaleDataError):
            # Someone saved in between: keep what this user typed on the page, overwrite nothing.
            db.session.rollback()
            form.form_errors.append(
                _(
                    "Hồ sơ đã được người khác thay đổi trong lúc bạn sửa. Vui lòng tải lại trang và "
                    "nhập lại."
                )
            )
            status = 409
        except NominationError as error:
            db.session.rollback()
            form.attach_error(error)
        else:
            flash(_("Đã lưu hồ sơ %(ref)s.", ref=nomination.reference), "success")
            return _to_detail(nomination)
    return _form_page(
        form, round_, kind, nomination=nomination, unit=nomination.unit, status=status
    )


# --------------------------------------------------------------------------- detail and actions


def _score_table(
    nomination: Nomination,
) -> list[tuple[CriterionGroup, list[tuple[Criterion, SelfScore | None]]]]:
    """Applicable criteria grouped by criterion group, each with the nomination's self-score."""
    scores = {s.criterion_id: s for s in nomination.self_scores}
    groups: dict[int, tuple[CriterionGroup, list[tuple[Criterion, SelfScore | None]]]] = {}
    criteria = nominations.criteria_for(nomination.round, nomination.kind)
    for criterion in sorted(criteria, key=lambda c: (c.group.position, c.group_id, c.position)):
        groups.setdefault(criterion.group_id, (criterion.group, []))[1].append(
            (criterion, scores.get(criterion.id))
        )
    return list(groups.values())


@bp.route("/<int:nomination_id>")
@roles_required(*READERS)
def detail(nomination_id: int) -> str:
    nomination = _get(
        nomination_id,
        selectinload(Nomination.self_scores),
        selectinload(Nomination.past_awards),
        selectinload(Nomination.events).joinedload(NominationEvent.actor),
        joinedload(Nomination.unit),
        joinedload(Nomination.award_form),
        joinedload(Nomination.round),
    )
    actions = [a for a in workflow.allowed_actions(nomination, current_user) if a in ACTIONS_HERE]
    return render_template(
        "nominations/detail.html",
        nomination=nomination,
        score_table=_score_table(nomination),
        missing=nominations.missing_for_submission(nomination) if nomination.is_editable else [],
        can_edit=nominations.can_edit(nomination, current_user),
        actions=actions,
        action_form=ActionForm(formdata=None),
        show_duplicate_details=_is_province(),
        today=clock.today(),
    )


def _done_message(action: str, reference: str | None) -> str:
    messages = {
        "reopen": _("Đã mở lại hồ sơ %(ref)s để sửa.", ref=reference),
        "withdraw": _("Đã rút hồ sơ %(ref)s.", ref=reference),
        "accept": _("Đã tiếp nhận hồ sơ %(ref)s để chấm điểm.", ref=reference),
        "return": _("Đã trả lại hồ sơ %(ref)s cho đơn vị, kèm lý do.", ref=reference),
    }
    return messages.get(action) or _("Đã thực hiện thao tác với hồ sơ %(ref)s.", ref=reference)


@bp.route("/<int:nomination_id>/action/<action>", methods=["POST"])
@roles_required(*READERS)
def action(nomination_id: int, action: str) -> BaseResponse:
    if action not in ACTIONS_HERE:
        abort(404)
    nomination = _get(nomination_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(
            " ".join(str(e) for errors in form.errors.values() for e in errors)
            or _("Không thực hiện được. Vui lòng tải lại trang rồi thử lại."),
            "danger",
        )
        return _to_detail(nomination)
    try:
        workflow.transition(nomination, action, current_user, reason=form.reason.data or "")
    except workflow.NotPermitted:
        db.session.rollback()
        abort(403)
    except workflow.WorkflowError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _to_detail(nomination)
    db.session.commit()
    flash(_done_message(action, nomination.reference), "success")
    return _to_detail(nomination)
