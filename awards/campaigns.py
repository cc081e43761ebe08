"""Campaign set-up by the emulation board: campaigns, rounds, criteria, award forms and copies.

Views are thin: load the object (404), gate by role, validate the form, call one service of
``awards/campaign_setup.py``, commit once, flash, redirect. The board writes; approvers and administrators
may read.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from awards import campaign_setup as setup
from awards import labels
from awards.extensions import db
from awards.permissions import roles_required
from awards.templating import format_number
from forms.auth import ConfirmForm
from forms.campaigns import (
    AwardFormForm,
    CampaignCopyForm,
    CampaignForm,
    CriterionForm,
    CriterionGroupForm,
    PhaseForm,
    RoundCopyForm,
    RoundForm,
    SetupForm,
)
from models import AwardForm, Campaign, Criterion, CriterionGroup, RecipientKind, Role, Round

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

READERS = (Role.BOARD, Role.APPROVER, Role.ADMIN)


def _to_detail(campaign_id: int, anchor: str | None = None) -> Response:
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id, _anchor=anchor))


def format_decimal(value: Decimal | None) -> str:
    """A stored decimal with the places it needs (1; 1,25; 0,125), in the interface's number format."""
    if value is None:
        return ""
    exponent = Decimal(value).normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return format_number(value, places)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "decimal": format_decimal,
        "aggregation_labels": labels.AGGREGATION_LABELS,
        "ballot_base_labels": labels.BALLOT_BASE_LABELS,
        "recipient_kind_labels": labels.RECIPIENT_KIND_LABELS,
        "can_edit_setup": current_user.is_authenticated and current_user.has_role(Role.BOARD),
    }


def _form_page(form: SetupForm, *, title: str, campaign: Campaign | None, cancel_url: str) -> str:
    return render_template(
        "campaigns/form.html", form=form, title=title, campaign=campaign, cancel_url=cancel_url
    )


# --------------------------------------------------------------------------- campaigns


@bp.route("/")
@roles_required(*READERS)
def index() -> str:
    campaigns = db.session.scalars(
        sa.select(Campaign).order_by(Campaign.period_start.desc(), Campaign.code)
    ).all()
    return render_template("campaigns/index.html", campaigns=campaigns)


@bp.route("/<int:campaign_id>")
@roles_required(*READERS)
def detail(campaign_id: int) -> str:
    campaign = db.get_or_404(Campaign, campaign_id)
    totals = setup.points_by_kind(campaign)
    open_kinds = setup.open_kinds(campaign)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        problems=setup.validate_setup(campaign),
        totals=totals,
        open_kinds=open_kinds,
        recipient_kinds=list(RecipientKind),
        frozen=setup.is_setup_frozen(campaign),
        phase_form=PhaseForm,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def create() -> Response | str:
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = setup.create_campaign(setup.CampaignData(**form.payload()))
        except setup.SetupError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã tạo phong trào %(code)s.", code=campaign.code), "success")
            return _to_detail(campaign.id)
    return _form_page(
        form, title=_("Tạo phong trào thi đua"), campaign=None, cancel_url=url_for(".index")
    )


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def edit(campaign_id: int) -> Response | str:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = CampaignForm(current=campaign)
    if form.validate_on_submit():
        try:
            setup.update_campaign(campaign, setup.CampaignData(**form.payload()))
        except setup.SetupError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lưu phong trào %(code)s.", code=campaign.code), "success")
            return _to_detail(campaign.id)
    return _form_page(
        form,
        title=_("Sửa phong trào %(code)s", code=campaign.code),
        campaign=campaign,
        cancel_url=url_for(".detail", campaign_id=campaign.id),
    )


@bp.route("/<int:campaign_id>/copy", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def copy(campaign_id: int) -> Response | str:
    source = db.get_or_404(Campaign, campaign_id)
    # Suggest the next period of the same length: 2024–2025 → 2026–2027.
    years = source.period_end.year - source.period_start.year + 1
    form = CampaignCopyForm(
        data={
            "code": setup.shift_years_in_text(source.code, years),
            "name": setup.shift_years_in_text(source.name, years),
            "period_start": setup.shift_date(source.period_start, years),
            "period_end": setup.shift_date(source.period_end, years),
        }
    )
    if form.validate_on_submit():
        try:
            campaign = setup.copy_campaign(source, **form.payload())
        except setup.SetupError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Đã sao chép phong trào %(source)s thành %(code)s (tiêu chí và hình thức khen "
                    "thưởng; chưa có đợt xét).",
                    source=source.code,
                    code=campaign.code,
                ),
                "success",
            )
            return _to_detail(campaign.id)
    return _form_page(
        form,
        title=_("Sao chép phong trào %(code)s", code=source.code),
        campaign=source,
        cancel_url=url_for(".detail", campaign_id=source.id),
    )


# --------------------------------------------------------------------------- rounds


@bp.route("/<int:campaign_id>/rounds/new", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def round_create(campaign_id: int) -> Response | str:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = RoundForm(campaign=campaign)
    if form.validate_on_submit():
        try:
            round_ = setup.create_round(campaign, setup.RoundData(**form.payload()))
        except setup.SetupError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã tạo đợt xét %(code)s.", code=round_.code), "success")
            return _to_detail(campaign.id, "rounds")
    return _form_page(
        form,
        title=_("Thêm đợt xét"),
        campaign=campaign,
        cancel_url=url_for(".detail", campaign_id=campaign.id),
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def round_edit(round_id: int) -> Response | str:
    round_ = db.get_or_404(Round, round_id)
    form = RoundForm(campaign=round_.campaign, current=round_)
    if form.validate_on_submit():
        try:
            setup.update_round(round_, setup.RoundData(**form.payload()))
        except setup.SetupError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lưu đợt xét %(code)s.", code=round_.code), "success")
            return _to_detail(round_.campaign_id, "rounds")
    return _form_page(
        form,
        title=_("Sửa đợt xét %(code)s", code=round_.code),
        campaign=round_.campaign,
        cancel_url=url_for(".detail", campaign_id=round_.campaign_id),
    )


@bp.route("/rounds/<int:round_id>/phase", methods=["POST"])
@roles_required(Role.BOARD)
def round_phase(round_id: int) -> Response:
    round_ = db.get_or_404(Round, round_id)
    form = PhaseForm()
    if not form.validate_on_submit():
        flash(_("Hãy chọn giai đoạn trong danh sách."), "danger")
        return _to_detail(round_.campaign_id, "rounds")
    try:
        setup.set_round_phase(round_, form.phase.data)
    except setup.SetupError as error:
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Đợt xét %(code)s đã chuyển giai đoạn.", code=round_.code), "success")
    return _to_detail(round_.campaign_id, "rounds")


@bp.route("/rounds/<int:round_id>/copy", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def round_copy(round_id: int) -> Response | str:
    source = db.get_or_404(Round, round_id)
    form = RoundCopyForm(
        data={
            "campaign_id": source.campaign_id,
            "code": setup.shift_years_in_text(source.code, 1),
            "name": setup.shift_years_in_text(source.name, 1),
        }
    )
    if form.validate_on_submit():
        values = form.payload()
        target = db.get_or_404(Campaign, values.pop("campaign_id"))
        try:
            round_ = setup.copy_round(
                source, campaign=target, shift_years=values.pop("shift_years"), **values
            )
        except setup.SetupError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Đã sao chép đợt xét %(source)s thành %(code)s, ở giai đoạn Chuẩn bị.",
                    source=source.code,
                    code=round_.code,
                ),
                "success",
            )
            return _to_detail(target.id, "rounds")
    return _form_page(
        form,
        title=_("Sao chép đợt xét %(code)s", code=source.code),
        campaign=source.campaign,
        cancel_url=url_for(".detail", campaign_id=source.campaign_id),
    )


# --------------------------------------------------------------------------- criterion groups


def _save_page(
    form: SetupForm,
    save: Callable[[dict[str, Any]], Any],
    *,
    campaign: Campaign,
    anchor: str,
    title: str,
    done: Callable[[Any], str],
) -> Response | str:
    """The create/edit flow shared by groups, criteria and award forms: validate the form, call the
    setup service ``save(payload)``, commit, flash ``done(result)`` and return to the campaign page; a
    refusal by the service is shown on the form and nothing is saved."""
    if form.validate_on_submit():
        try:
            result = save(form.payload())
        except setup.SetupError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(done(result), "success")
            return _to_detail(campaign.id, anchor)
    return _form_page(
        form, title=title, campaign=campaign, cancel_url=url_for(".detail", campaign_id=campaign.id)
    )


def _delete(campaign_id: int, delete: Callable[[], None], *, anchor: str, done: str) -> Response:
    if ConfirmForm().validate_on_submit():
        try:
            delete()
        except setup.SetupError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(done, "success")
    return _to_detail(campaign_id, anchor)


@bp.route("/<int:campaign_id>/groups/new", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def group_create(campaign_id: int) -> Response | str:
    campaign = db.get_or_404(Campaign, campaign_id)
    return _save_page(
        CriterionGroupForm(campaign=campaign),
        lambda data: setup.create_criterion_group(campaign, setup.GroupData(**data)),
        campaign=campaign,
        anchor="criteria",
        title=_("Thêm nhóm tiêu chí"),
        done=lambda group: _("Đã thêm nhóm tiêu chí %(code)s.", code=group.code),
    )


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def group_edit(group_id: int) -> Response | str:
    group = db.get_or_404(CriterionGroup, group_id)
    return _save_page(
        CriterionGroupForm(campaign=group.campaign, current=group),
        lambda data: setup.update_criterion_group(group, setup.GroupData(**data)),
        campaign=group.campaign,
        anchor="criteria",
        title=_("Sửa nhóm tiêu chí %(code)s", code=group.code),
        done=lambda _result: _("Đã lưu nhóm tiêu chí %(code)s.", code=group.code),
    )


@bp.route("/groups/<int:group_id>/delete", methods=["POST"])
@roles_required(Role.BOARD)
def group_delete(group_id: int) -> Response:
    group = db.get_or_404(CriterionGroup, group_id)
    return _delete(
        group.campaign_id,
        lambda: setup.delete_criterion_group(group),
        anchor="criteria",
        done=_("Đã xóa nhóm tiêu chí %(code)s.", code=group.code),
    )


# --------------------------------------------------------------------------- criteria


@bp.route("/<int:campaign_id>/criteria/new", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def criterion_create(campaign_id: int) -> Response | str:
    campaign = db.get_or_404(Campaign, campaign_id)
    return _save_page(
        CriterionForm(campaign=campaign),
        lambda data: setup.create_criterion(campaign, setup.CriterionData(**data)),
        campaign=campaign,
        anchor="criteria",
        title=_("Thêm tiêu chí"),
        done=lambda criterion: _("Đã thêm tiêu chí %(code)s.", code=criterion.code),
    )


@bp.route("/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def criterion_edit(criterion_id: int) -> Response | str:
    criterion = db.get_or_404(Criterion, criterion_id)
    return _save_page(
        CriterionForm(campaign=criterion.campaign, current=criterion),
        lambda data: setup.update_criterion(criterion, setup.CriterionData(**data)),
        campaign=criterion.campaign,
        anchor="criteria",
        title=_("Sửa tiêu chí %(code)s", code=criterion.code),
        done=lambda _result: _("Đã lưu tiêu chí %(code)s.", code=criterion.code),
    )


@bp.route("/criteria/<int:criterion_id>/delete", methods=["POST"])
@roles_required(Role.BOARD)
def criterion_delete(criterion_id: int) -> Response:
    criterion = db.get_or_404(Criterion, criterion_id)
    return _delete(
        criterion.campaign_id,
        lambda: setup.delete_criterion(criterion),
        anchor="criteria",
        done=_("Đã xóa tiêu chí %(code)s.", code=criterion.code),
    )


# --------------------------------------------------------------------------- award forms


@bp.route("/<int:campaign_id>/award-forms/new", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def award_form_create(campaign_id: int) -> Response | str:
    campaign = db.get_or_404(Campaign, campaign_id)
    return _save_page(
        AwardFormForm(campaign=campaign),
        lambda data: setup.create_award_form(campaign, setup.AwardFormData(**data)),
        campaign=campaign,
        anchor="award-forms",
        title=_("Thêm hình thức khen thưởng"),
        done=lambda award_form: _("Đã thêm hình thức khen thưởng %(code)s.", code=award_form.code),
    )


@bp.route("/award-forms/<int:award_form_id>/edit", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def award_form_edit(award_form_id: int) -> Response | str:
    award_form = db.get_or_404(AwardForm, award_form_id)
    return _save_page(
        AwardFormForm(campaign=award_form.campaign, current=award_form),
        lambda data: setup.update_award_form(award_form, setup.AwardFormData(**data)),
        campaign=award_form.campaign,
        anchor="award-forms",
        title=_("Sửa hình thức khen thưởng %(code)s", code=award_form.code),
        done=lambda _result: _("Đã lưu hình thức khen thưởng %(code)s.", code=award_form.code),
    )


@bp.route("/award-forms/<int:award_form_id>/delete", methods=["POST"])
@roles_required(Role.BOARD)
def award_form_delete(award_form_id: int) -> Response:
    award_form = db.get_or_404(AwardForm, award_form_id)
    return _delete(
        award_form.campaign_id,
        lambda: setup.delete_award_form(award_form),
        anchor="award-forms",
        done=_("Đã xóa hình thức khen thưởng %(code)s.", code=award_form.code),
    )
