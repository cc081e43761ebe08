"""Public disclosure of a round's proposed list (``awards/disclosure.py``): the public pages, open to
anyone without logging in, and the board's inbox of the comments received.

The public pages show a published list and, while the window is open, take comments: CSRF as every
form, and a rate limit per client address (``DISCLOSURE_COMMENT_RATE_LIMIT``) since no login stands in
the way. They show nothing about a nominee beyond ``disclosure.public_list``. The board reads and
answers the comments; approvers may read them.

Views are thin: load (404), gate (403), validate the form, call one service, commit once, flash,
redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from awards import clock, disclosure, labels, workdays
from awards.disclosure import DisclosureError, PublicRow
from awards.extensions import db, limiter
from awards.permissions import roles_required
from awards.rounds import choose_round, round_from_args, round_or_404
from forms.disclosure import AnswerForm, PublicCommentForm
from models import PublicComment, RecipientKind, Role, Round

bp = Blueprint("disclosure", __name__)

READERS = (Role.BOARD, Role.APPROVER)
DEFAULT_COMMENT_RATE_LIMIT = "5 per hour;20 per day"


def _comment_limit() -> str:
    return current_app.config.get("DISCLOSURE_COMMENT_RATE_LIMIT", DEFAULT_COMMENT_RATE_LIMIT)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"kind_labels": labels.RECIPIENT_KIND_LABELS, "RecipientKind": RecipientKind}


@dataclass(frozen=True)
class Window:
    """What the pages say about a round's comment window on ``today``."""

    starts: date
    ends: date
    working_days: int
    open: bool
    ended: bool


def _window(round_: Round) -> Window | None:
    if round_.disclosure_starts is None or round_.disclosure_ends is None:
        return None
    today = clock.today()
    return Window(
        starts=round_.disclosure_starts,
        ends=round_.disclosure_ends,
        # Counted from the dates, not ``disclosure_days``: the days may be edited after publication.
        working_days=workdays.working_days_between(
            round_.disclosure_starts, round_.disclosure_ends
        ),
        open=disclosure.is_open(round_, today),
        ended=disclosure.has_ended(round_, today),
    )


def _published_or_404(round_code: str) -> Round:
    round_ = round_or_404(round_code)
    if not disclosure.is_published(round_):
        abort(404)
    return round_


def _sections(
    rows: list[PublicRow],
) -> list[tuple[str, list[tuple[RecipientKind, list[PublicRow]]]]]:
    """``public_list`` rows as (award form, [(kind, rows)]), in the service's order (collectives first)."""
    return [
        (form, [(kind, list(of_kind)) for kind, of_kind in groupby(of_form, lambda r: r.kind)])
        for form, of_form in groupby(rows, lambda r: r.award_form)
    ]


# --------------------------------------------------------------------------- public


@bp.route("/public/disclosure")
def public_index() -> str:
    rounds = disclosure.published_rounds()
    return render_template(
        "disclosure/public_index.html",
        rounds=[(round_, _window(round_)) for round_ in rounds],
    )


@bp.route("/public/disclosure/<round_code>", methods=["GET", "POST"])
@limiter.limit(_comment_limit, methods=["POST"])
def public_round(round_code: str) -> BaseResponse | tuple[str, int] | str:
    round_ = _published_or_404(round_code)
    rows = disclosure.public_list(round_)
    form = PublicCommentForm()
    form.nominee_id.choices = [("", _("— Ý kiến chung về danh sách —"))] + [
        (row.nomination_id, f"{row.name} ({row.unit_name})") for row in rows
    ]
    if form.validate_on_submit():
        try:
            disclosure.add_comment(
                round_,
                name=form.name.data,
                contact=form.contact.data,
                body=form.body.data,
                nomination_id=form.nominee_id.data,
                client_addr=get_remote_address() or "",
                on=clock.today(),
            )
        except DisclosureError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Cảm ơn bạn đã góp ý. Ban Thi đua – Khen thưởng sẽ xem xét ý kiến và liên hệ "
                    "lại khi cần."
                ),
                "success",
            )
            return redirect(url_for("disclosure.public_round", round_code=round_.code))
    page = render_template(
        "disclosure/public_round.html",
        round=round_,
        window=_window(round_),
        sections=_sections(rows),
        count=len(rows),
        form=form,
    )
    return (page, 400) if request.method == "POST" else page


# --------------------------------------------------------------------------- the board


def _comments_page(round_: Round, failed: tuple[int, AnswerForm] | None = None) -> str:
    """The round's comments, each with its answer form (``failed``: the one posted with errors)."""
    comments = disclosure.comments_of(round_)
    forms: dict[int, AnswerForm] = {}
    if current_user.has_role(Role.BOARD):
        for comment in comments:
            if failed is not None and failed[0] == comment.id:
                forms[comment.id] = failed[1]
            else:
                forms[comment.id] = AnswerForm(
                    formdata=None, prefix=f"c{comment.id}", answer=comment.answer
                )
    return render_template(
        "disclosure/comments.html",
        round=round_,
        window=_window(round_),
        published=disclosure.is_published(round_),
        comments=comments,
        unanswered=sum(1 for comment in comments if not comment.answer),
        forms=forms,
    )


@bp.route("/disclosure/comments")
@roles_required(*READERS)
def comments() -> str:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("disclosure.comments", _("Công khai, lấy ý kiến"))
    return _comments_page(round_)


@bp.route("/disclosure/comments/<int:comment_id>/answer", methods=["POST"])
@roles_required(Role.BOARD)
def answer(comment_id: int) -> BaseResponse | tuple[str, int]:
    comment = db.get_or_404(PublicComment, comment_id)
    round_ = comment.round
    form = AnswerForm(prefix=f"c{comment.id}")
    if form.validate_on_submit():
        try:
            disclosure.answer(comment, form.answer.data, current_user)
        except DisclosureError as error:
            db.session.rollback()
            form.answer.errors = [*form.answer.errors, str(error)]
        else:
            db.session.commit()
            flash(_("Đã lưu trả lời ý kiến của %(name)s.", name=comment.name), "success")
            return redirect(
                url_for("disclosure.comments", round=round_.code, _anchor=f"comment-{comment.id}")
            )
    return _comments_page(round_, failed=(comment.id, form)), 400
