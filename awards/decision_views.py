"""The approval and decision pages (issue 5): the approver decides the proposed list, the board drafts the
award decision, the approver issues and, when it must be, revokes it; anyone reads the issued decisions.

* ``/approval/`` — the proposed list of a round per award form, with per-unit counts and quota use; the
  approver approves or rejects items (a rejection needs its reason) or approves a form's whole list. The
  board reads the page.
* ``/decisions/`` — a round's decisions and, per award form, the approved items awaiting one; a decision's
  page (the document as HTML, the draft's form for the board, issuing and revocation for the approver),
  its PDF and its annex as Excel.
* ``/public/decisions`` — issued and revoked decisions with their annex (name, place, citation,
  golden-book number: nothing else about a person), and the PDF stored at issue.

Approving, issuing and revoking are signatures: they need a fresh password (``fresh_login_required``).
Views are thin: load (404), gate (403), validate the form, call one service, commit once, flash, redirect.
The PDF and Excel downloads only read (no audit event), so they are not marked ``writes_on_get``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from awards import approvals, clock, decisions, labels, nomination_lists, workflow
from awards.auth import fresh_login_required
from awards.decisions import DecisionError, DecisionNotPermitted
from awards.extensions import db
from awards.permissions import roles_required
from awards.rounds import choose_round, round_from_args, round_or_404
from exports import decisions as decision_exports
from forms.auth import ConfirmForm
from forms.decisions import DecideForm, DraftForm, IssueForm, RevokeForm
from models import (
    AwardForm,
    Decision,
    DecisionItem,
    DecisionState,
    NominationState,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
)

bp = Blueprint("decisions", __name__)

READERS = (Role.BOARD, Role.APPROVER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INVALID = 422  # a form sent back with its errors, as the review pages do

DECISION_STATE_LABELS = {
    DecisionState.DRAFT: _l("Dự thảo"),
    DecisionState.ISSUED: _l("Đã ban hành"),
    DecisionState.REVOKED: _l("Đã hủy bỏ"),
}
DECISION_STATE_BADGES = {
    DecisionState.DRAFT: "text-bg-secondary",
    DecisionState.ISSUED: "text-bg-success",
    DecisionState.REVOKED: "text-bg-danger",
}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "state_labels": nomination_lists.NOMINATION_STATE_LABELS,
        "state_badges": nomination_lists.STATE_BADGES,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
        "decision_state_labels": DECISION_STATE_LABELS,
        "decision_state_badges": DECISION_STATE_BADGES,
        "DecisionState": DecisionState,
        "NominationState": NominationState,
        "RecipientKind": RecipientKind,
    }


def _invalid_request(target: BaseResponse) -> BaseResponse:
    flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
    return target


# --------------------------------------------------------------------------- approval


def _to_approval(round_: Round) -> BaseResponse:
    return redirect(url_for("decisions.approval", round=round_.code))


def _approval_page(round_: Round, form: DecideForm, status: int = 200) -> tuple[str, int]:
    today = clock.today()
    return (
        render_template(
            "decisions/approval.html",
            round=round_,
            sections=approvals.proposed_list(round_, current_user),
            form=form,
            is_approver=current_user.has_role(Role.APPROVER),
            can_decide=current_user.has_role(Role.APPROVER)
            and round_.phase is RoundPhase.APPROVING,
            disclosure_open=workflow.disclosure_open(round_, today),
            approving=round_.phase is RoundPhase.APPROVING,
        ),
        status,
    )


def _flash_outcome(outcome: approvals.Outcome) -> None:
    if outcome.approved or outcome.rejected:
        flash(
            _(
                "Đã phê duyệt %(approved)d hồ sơ, không phê duyệt %(rejected)d hồ sơ.",
                approved=outcome.approved,
                rejected=outcome.rejected,
            ),
            "success",
        )
    elif not outcome.refused:
        flash(_("Không có hồ sơ nào được phê duyệt hoặc không phê duyệt."), "info")
    for reference, why in outcome.refused:
        flash(_("Hồ sơ %(ref)s chưa được xử lý: %(why)s", ref=reference, why=why), "warning")


@bp.route("/approval/")
@roles_required(*READERS)
def approval() -> str | tuple[str, int]:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("decisions.approval", _("Phê duyệt danh sách đề nghị khen thưởng"))
    return _approval_page(round_, DecideForm(formdata=None))


@bp.route("/approval/<round_code>/decide", methods=["POST"])
@roles_required(Role.APPROVER)
@fresh_login_required
def decide(round_code: str) -> BaseResponse | tuple[str, int]:
    round_ = round_or_404(round_code)
    form = DecideForm()
    if not form.validate_on_submit():
        if form.row_errors:
            flash(
                _(
                    "Chưa ghi nhận: hãy sửa các hồ sơ được đánh dấu bên dưới rồi gửi lại (các lựa chọn "
                    "của bạn vẫn được giữ)."
                ),
                "danger",
            )
            return _approval_page(round_, form, INVALID)
        return _invalid_request(_to_approval(round_))
    if not form.chosen:
        flash(_("Bạn chưa chọn hồ sơ nào để phê duyệt hoặc không phê duyệt."), "info")
        return _to_approval(round_)
    try:
        outcome = approvals.decide(
            round_, current_user, approve=form.approved_ids(), reject=form.rejections()
        )
    except workflow.NotPermitted:
        db.session.rollback()
        abort(403)
    db.session.commit()
    _flash_outcome(outcome)
    return _to_approval(round_)


def _award_form_of(round_: Round, award_form_id: int) -> AwardForm:
    form = db.session.get(AwardForm, award_form_id)
    if form is None or form.campaign_id != round_.campaign_id:
        abort(404)
    return form


@bp.route("/approval/<round_code>/<int:award_form_id>/approve-all", methods=["POST"])
@roles_required(Role.APPROVER)
@fresh_login_required
def approve_all(round_code: str, award_form_id: int) -> BaseResponse:
    round_ = round_or_404(round_code)
    award_form = _award_form_of(round_, award_form_id)
    if not ConfirmForm().validate_on_submit():
        return _invalid_request(_to_approval(round_))
    try:
        outcome = approvals.approve_all(round_, award_form, current_user)
    except workflow.NotPermitted:
        db.session.rollback()
        abort(403)
    db.session.commit()
    _flash_outcome(outcome)
    return _to_approval(round_)


# --------------------------------------------------------------------------- decisions of a round


@bp.route("/decisions/")
@roles_required(*READERS)
def index() -> str:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("decisions.index", _("Quyết định khen thưởng"))
    forms = sorted(round_.campaign.award_forms, key=lambda form: (form.position, form.id))
    return render_template(
        "decisions/index.html",
        round=round_,
        decisions=decisions.decisions_of(round_),
        awaiting=[(form, len(decisions.awaiting(round_, form))) for form in forms],
        is_board=current_user.has_role(Role.BOARD),
        can_draft=current_user.has_role(Role.BOARD) and round_.phase in decisions.DRAFTING_PHASES,
    )


@bp.route("/decisions/<round_code>/<int:award_form_id>/new", methods=["POST"])
@roles_required(Role.BOARD)
def create(round_code: str, award_form_id: int) -> BaseResponse:
    round_ = round_or_404(round_code)
    award_form = _award_form_of(round_, award_form_id)
    back = redirect(url_for("decisions.index", round=round_.code))
    if not ConfirmForm().validate_on_submit():
        return _invalid_request(back)
    try:
        decision = decisions.create_draft(round_, award_form, current_user)
    except DecisionError as error:
        return _refused(error, back)
    db.session.commit()
    flash(
        _(
            "Đã soạn dự thảo quyết định gồm %(n)d tập thể, cá nhân. Hãy kiểm tra, chỉnh sửa rồi "
            "trình lãnh đạo ban hành.",
            n=len(decision.items),
        ),
        "success",
    )
    return _to_detail(decision)


# --------------------------------------------------------------------------- one decision


def _decision(decision_id: int) -> Decision:
    return db.get_or_404(Decision, decision_id)


def _to_detail(decision: Decision) -> BaseResponse:
    return redirect(url_for("decisions.detail", decision_id=decision.id))


def _refused(error: DecisionError, target: BaseResponse) -> BaseResponse:
    db.session.rollback()
    if isinstance(error, DecisionNotPermitted):
        abort(403)
    flash(str(error), "danger")
    return target


def _sections(decision: Decision) -> list[tuple[str, list[DecisionItem]]]:
    """The annex's two parts, collectives first (the items' own order within each)."""
    parts = []
    for kind, heading in (
        (RecipientKind.COLLECTIVE, _("Tập thể")),
        (RecipientKind.INDIVIDUAL, _("Cá nhân")),
    ):
        items = [item for item in decision.items if item.kind is kind]
        if items:
            parts.append((heading, items))
    return parts


def _item_prefix(item_id: int) -> str:
    """Each item's revocation form has its own field names (and so its own element ids)."""
    return f"item{item_id}"


def _detail_page(
    decision: Decision,
    *,
    draft_form: DraftForm | None = None,
    revoke_form: RevokeForm | None = None,
    item_forms: dict[int, RevokeForm] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    is_board = current_user.has_role(Role.BOARD)
    is_approver = current_user.has_role(Role.APPROVER)
    draft = decision.state is DecisionState.DRAFT
    issued = decision.state is DecisionState.ISSUED
    if draft and is_board and draft_form is None:
        draft_form = DraftForm.of(decision)
    return (
        render_template(
            "decisions/detail.html",
            decision=decision,
            data=decisions.decision_data(decision),
            sections=_sections(decision),
            draft_form=draft_form if draft and is_board else None,
            issue_form=(
                IssueForm(formdata=None, version=decision.version)
                if draft and is_approver
                else None
            ),
            revoke_form=(revoke_form or RevokeForm(formdata=None))
            if issued and is_approver
            else None,
            item_form=lambda item_id: (
                (item_forms or {}).get(item_id)
                or RevokeForm(formdata=None, prefix=_item_prefix(item_id))
            ),
            can_revoke_items=issued and is_approver,
            can_edit=draft and is_board,
            pdf_intact=None if draft else decisions.stored_pdf_matches(decision),
        ),
        status,
    )


@bp.route("/decisions/<int:decision_id>")
@roles_required(*READERS)
def detail(decision_id: int) -> str | tuple[str, int]:
    return _detail_page(_decision(decision_id))


@bp.route("/decisions/<int:decision_id>/edit", methods=["POST"])
@roles_required(Role.BOARD)
def edit(decision_id: int) -> BaseResponse | tuple[str, int]:
    decision = _decision(decision_id)
    if decision.state is not DecisionState.DRAFT:
        flash(
            _("Quyết định đã ban hành: không thể sửa, chỉ có thể hủy bỏ theo quy định."), "danger"
        )
        return _to_detail(decision)
    form = DraftForm()
    if not form.validate_on_submit():
        return _detail_page(decision, draft_form=form, status=INVALID)
    try:
        if form.version.data != decision.version:
            raise StaleDataError("the draft changed since the form was loaded")
        decisions.update_draft(decision, form.values(), current_user)
        db.session.commit()
    except StaleDataError:
        # Someone saved in between: keep what this user typed, overwrite nothing.
        db.session.rollback()
        form.form_errors.append(
            _(
                "Dự thảo đã được người khác thay đổi trong lúc bạn sửa. Vui lòng tải lại trang và "
                "nhập lại."
            )
        )
        return _detail_page(decision, draft_form=form, status=409)
    except DecisionNotPermitted:
        db.session.rollback()
        abort(403)
    except DecisionError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _detail_page(decision, draft_form=form, status=INVALID)
    flash(_("Đã lưu dự thảo quyết định."), "success")
    return _to_detail(decision)


@bp.route("/decisions/<int:decision_id>/sync", methods=["POST"])
@roles_required(Role.BOARD)
def sync(decision_id: int) -> BaseResponse:
    decision = _decision(decision_id)
    back = _to_detail(decision)
    if not ConfirmForm().validate_on_submit():
        return _invalid_request(back)
    try:
        added, removed = decisions.sync_items(decision, current_user)
    except DecisionError as error:
        return _refused(error, back)
    db.session.commit()
    flash(
        _(
            "Đã cập nhật danh sách theo kết quả phê duyệt: thêm %(added)d, bỏ %(removed)d.",
            added=added,
            removed=removed,
        ),
        "success" if added or removed else "info",
    )
    return back


@bp.route("/decisions/<int:decision_id>/delete", methods=["POST"])
@roles_required(Role.BOARD)
def delete(decision_id: int) -> BaseResponse:
    decision = _decision(decision_id)
    round_code = decision.round.code
    if not ConfirmForm().validate_on_submit():
        return _invalid_request(_to_detail(decision))
    try:
        decisions.delete_draft(decision, current_user)
    except DecisionError as error:
        return _refused(error, _to_detail(decision))
    db.session.commit()
    flash(_("Đã xóa dự thảo quyết định."), "success")
    return redirect(url_for("decisions.index", round=round_code))


@bp.route("/decisions/<int:decision_id>/issue", methods=["POST"])
@roles_required(Role.APPROVER)
@fresh_login_required
def issue(decision_id: int) -> BaseResponse:
    decision = _decision(decision_id)
    back = _to_detail(decision)
    form = IssueForm()
    if not form.validate_on_submit():
        return _invalid_request(back)
    if form.version.data != decision.version:
        # What is signed must be what the approver read: the board changed the draft meanwhile.
        flash(
            _(
                "Dự thảo vừa được chỉnh sửa sau khi bạn mở trang. Hãy xem lại nội dung mới nhất "
                "rồi ban hành."
            ),
            "warning",
        )
        return back
    try:
        decisions.issue(decision, current_user)
    except DecisionError as error:
        return _refused(error, back)
    db.session.commit()
    flash(_("Đã ban hành Quyết định số %(number)s.", number=decision.number), "success")
    return back


@bp.route("/decisions/<int:decision_id>/revoke", methods=["POST"])
@roles_required(Role.APPROVER)
@fresh_login_required
def revoke(decision_id: int) -> BaseResponse | tuple[str, int]:
    decision = _decision(decision_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _detail_page(decision, revoke_form=form, status=INVALID)
    try:
        count = decisions.revoke_decision(
            decision, current_user, form.reason.data, form.reference.data
        )
    except DecisionError as error:
        return _refused(error, _to_detail(decision))
    db.session.commit()
    flash(
        _(
            "Đã hủy bỏ Quyết định số %(number)s (%(n)d khen thưởng).",
            number=decision.number,
            n=count,
        ),
        "success",
    )
    return _to_detail(decision)


@bp.route("/decisions/items/<int:item_id>/revoke", methods=["POST"])
@roles_required(Role.APPROVER)
@fresh_login_required
def revoke_item(item_id: int) -> BaseResponse | tuple[str, int]:
    item = db.get_or_404(DecisionItem, item_id)
    decision = item.decision
    form = RevokeForm(prefix=_item_prefix(item.id))
    if not form.validate_on_submit():
        return _detail_page(decision, item_forms={item.id: form}, status=INVALID)
    try:
        decisions.revoke_item(item, current_user, form.reason.data, form.reference.data)
    except DecisionError as error:
        return _refused(error, _to_detail(decision))
    db.session.commit()
    flash(_("Đã hủy bỏ khen thưởng của %(name)s.", name=item.name), "success")
    return _to_detail(decision)


def _pdf_response(decision: Decision) -> Response:
    filename = decision_exports.decision_filename(decision.number, decision.id)
    return Response(
        decisions.render(decision),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.route("/decisions/<int:decision_id>.pdf")
@roles_required(*READERS)
def pdf(decision_id: int) -> Response:
    return _pdf_response(_decision(decision_id))


@bp.route("/decisions/<int:decision_id>/annex.xlsx")
@roles_required(*READERS)
def annex_xlsx(decision_id: int) -> Response:
    decision = _decision(decision_id)
    filename = decision_exports.annex_filename(decision.number, decision.id)
    return Response(
        decision_exports.annex_workbook(decisions.decision_data(decision)),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --------------------------------------------------------------------------- public


def _public_decision(decision_id: int) -> Decision:
    decision = _decision(decision_id)
    if decision.state is DecisionState.DRAFT:
        abort(404)
    return decision


@bp.route("/public/decisions")
def public_index() -> str:
    listed = decisions.public_decisions()
    return render_template(
        "decisions/public_index.html",
        decisions=listed,
        totals={d.id: decisions.decision_data(d)["totals"] for d in listed},
    )


@bp.route("/public/decisions/<int:decision_id>")
def public_detail(decision_id: int) -> str:
    decision = _public_decision(decision_id)
    return render_template(
        "decisions/public_detail.html",
        decision=decision,
        data=decisions.decision_data(decision),
        sections=_sections(decision),
    )


@bp.route("/public/decisions/<int:decision_id>.pdf")
def public_pdf(decision_id: int) -> Response:
    return _pdf_response(_public_decision(decision_id))
