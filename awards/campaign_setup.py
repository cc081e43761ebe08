"""Campaign set-up services: campaigns, rounds, criterion groups, criteria and award forms.

Every function here flushes and never commits: the view (or CLI command) that calls it commits once. Row
changes are audited automatically at flush (``awards/audit.py``); copies add one ``copy`` event naming
their source. Rule violations raise ``SetupError`` with a Vietnamese message for the user, always before
anything is changed, so a refused call leaves the session as it found it.

``validate_setup`` lists what still keeps a campaign from opening a round: points that do not add up per
recipient kind, bad weights, criteria filed under a group of another kind, missing award forms, minimum
scores above the total, round dates out of order. A round cannot leave the ``setup`` phase while that list
is not empty.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from awards import audit, clock, disclosure, labels
from awards.extensions import db
from awards.templating import format_points
from models import (
    Aggregation,
    AppliesTo,
    AwardForm,
    AwardType,
    BallotBase,
    Campaign,
    Criterion,
    CriterionGroup,
    Nomination,
    RecipientKind,
    Round,
    RoundPhase,
)


class SetupError(ValueError):
    """A set-up change refused by a rule; the message is meant for the user."""


# --------------------------------------------------------------------------- input data


@dataclass(frozen=True)
class CampaignData:
    code: str
    name: str
    period_start: date
    period_end: date
    plan_reference: str = ""
    organiser: str = ""
    standing_body: str = ""
    issuing_body: str = ""
    legal_basis: str = ""
    aggregation: Aggregation = Aggregation.MEAN
    min_reviews: int = 3
    total_points: Decimal = Decimal(100)
    comment_margin: Decimal = Decimal(2)


@dataclass(frozen=True)
class RoundData:
    code: str
    name: str
    nomination_opens: date
    nomination_closes: date
    ceremony_date: date
    review_deadline: date | None = None
    disclosure_days: int | None = None
    phase: RoundPhase = RoundPhase.SETUP


@dataclass(frozen=True)
class GroupData:
    code: str
    title: str
    applies_to: AppliesTo = AppliesTo.BOTH
    position: int = 0


@dataclass(frozen=True)
class CriterionData:
    group_id: int
    code: str
    title: str
    max_points: Decimal
    applies_to: AppliesTo
    guidance: str = ""
    weight: Decimal = Decimal(1)
    target_value: Decimal | None = None
    target_unit: str = ""
    evidence_required: bool = False
    position: int = 0


@dataclass(frozen=True)
class AwardFormData:
    code: str
    name: str
    certificate_title: str
    awarding_title: str
    for_collectives: bool = True
    for_individuals: bool = True
    award_type: AwardType = AwardType.CAMPAIGN
    min_score: Decimal = Decimal(0)
    quota_total: int | None = None
    quota_per_unit: int | None = None
    ballot_threshold: Decimal = Decimal(50)
    ballot_base: BallotBase = BallotBase.VOTING
    cash_multiple_collective: Decimal = Decimal(0)
    cash_multiple_individual: Decimal = Decimal(0)
    signer_prefix: str = ""
    signer_title: str = ""
    signer_name: str = ""
    decision_issuer: str = "ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH"
    decision_symbol: str = "QĐ-UBND"
    position: int = 0


def _assign(obj: object, data: object, *, skip: frozenset[str] = frozenset()) -> None:
    for field in fields(data):  # type: ignore[arg-type]
        if field.name not in skip:
            setattr(obj, field.name, getattr(data, field.name))


# --------------------------------------------------------------------------- look-ups and predicates


def code_taken(
    model: type[Campaign | Round | CriterionGroup | Criterion | AwardForm],
    code: str,
    *,
    campaign_id: int | None = None,
    exclude_id: int | None = None,
) -> bool:
    """Whether ``code`` is used by another row of ``model`` (within ``campaign_id`` when given).

    Campaign and round codes are unique across the app; the others within their campaign.
    """
    stmt = sa.select(model.id).where(model.code == code)
    if campaign_id is not None:
        stmt = stmt.where(model.campaign_id == campaign_id)  # type: ignore[union-attr]
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    with db.session.no_autoflush:
        return db.session.execute(stmt.limit(1)).first() is not None


def is_setup_frozen(campaign: Campaign) -> bool:
    """True once a round of the campaign has left ``setup`` or holds nominations: its criteria and
    award forms are then in use."""
    return any(r.phase is not RoundPhase.SETUP for r in campaign.rounds) or _has_nominations(
        [r.id for r in campaign.rounds if r.id is not None]
    )


def is_compatible(group_applies: AppliesTo, criterion_applies: AppliesTo) -> bool:
    """A group open to both kinds takes any criterion; otherwise the kinds must match."""
    return group_applies is AppliesTo.BOTH or group_applies is criterion_applies


def points_by_kind(campaign: Campaign) -> dict[RecipientKind, Decimal]:
    """Sum of the maximum points of the criteria that apply to each recipient kind."""
    return {
        kind: sum(
            (c.max_points for c in campaign.criteria if AppliesTo(c.applies_to).includes(kind)),
            Decimal(0),
        )
        for kind in RecipientKind
    }


def open_kinds(campaign: Campaign) -> list[RecipientKind]:
    """Recipient kinds that at least one award form of the campaign is open to."""
    return [kind for kind in RecipientKind if any(f.is_open_to(kind) for f in campaign.award_forms)]


def dates_in_order(opens: date, closes: date, review_deadline: date | None, ceremony: date) -> bool:
    """opens ≤ closes ≤ review deadline (when set) ≤ ceremony."""
    chain = [opens, closes, *([review_deadline] if review_deadline else []), ceremony]
    return all(a <= b for a, b in itertools.pairwise(chain))


# --------------------------------------------------------------------------- validation


def validate_setup(campaign: Campaign) -> list[str]:
    """Problems that keep the campaign's rounds from leaving ``setup``, as Vietnamese sentences.

    Reads the objects as they are in the session (nothing is flushed), so it can also judge unsaved
    changes. An empty list means the set-up is complete.
    """
    problems: list[str] = []
    with db.session.no_autoflush:
        total = campaign.total_points
        forms = list(campaign.award_forms)
        criteria = list(campaign.criteria)
        if not forms:
            problems.append(
                _("Phong trào chưa có hình thức khen thưởng nào. Hãy thêm ít nhất một hình thức.")
            )
        totals = points_by_kind(campaign)
        for kind in open_kinds(campaign):
            if totals[kind] != total:
                problems.append(
                    _(
                        "Tổng điểm tối đa của các tiêu chí áp dụng cho %(kind)s là %(sum)s, "
                        "chưa bằng tổng điểm của phong trào (%(total)s). Hãy điều chỉnh điểm tối đa "
                        "các tiêu chí.",
                        kind=str(labels.RECIPIENT_KIND_LABELS[kind]).lower(),
                        sum=format_points(totals[kind]),
                        total=format_points(total),
                    )
                )
        for criterion in criteria:
            if criterion.weight is None or criterion.weight <= 0:
                problems.append(
                    _(
                        "Tiêu chí %(code)s có trọng số không dương; trọng số phải lớn hơn 0.",
                        code=criterion.code,
                    )
                )
            group = criterion.group
            if group is not None and not is_compatible(
                AppliesTo(group.applies_to), AppliesTo(criterion.applies_to)
            ):
                problems.append(
                    _(
                        "Tiêu chí %(code)s áp dụng cho %(kind)s nhưng nằm trong nhóm %(group)s chỉ "
                        "dành cho %(group_kind)s. Hãy chuyển tiêu chí sang nhóm phù hợp.",
                        code=criterion.code,
                        kind=str(labels.APPLIES_TO_LABELS[AppliesTo(criterion.applies_to)]).lower(),
                        group=group.code,
                        group_kind=str(
                            labels.APPLIES_TO_LABELS[AppliesTo(group.applies_to)]
                        ).lower(),
                    )
                )
        for form in forms:
            if form.min_score is not None and form.min_score > total:
                problems.append(
                    _(
                        "Hình thức %(code)s yêu cầu tối thiểu %(min)s điểm, vượt tổng điểm %(total)s.",
                        code=form.code,
                        min=format_points(form.min_score),
                        total=format_points(total),
                    )
                )
        for round_ in campaign.rounds:
            if not dates_in_order(
                round_.nomination_opens,
                round_.nomination_closes,
                round_.review_deadline,
                round_.ceremony_date,
            ):
                problems.append(_round_dates_message(round_.code))
    return problems


def _round_dates_message(code: str) -> str:
    return _(
        "Đợt xét %(code)s: các mốc thời gian chưa đúng thứ tự (mở nhận hồ sơ ≤ hạn nộp hồ sơ ≤ "
        "hạn chấm điểm ≤ ngày trao thưởng).",
        code=code,
    )


# --------------------------------------------------------------------------- campaigns


def _check_campaign(data: CampaignData, exclude_id: int | None = None) -> None:
    if code_taken(Campaign, data.code, exclude_id=exclude_id):
        raise SetupError(_l("Mã phong trào %(code)s đã được dùng.", code=data.code))
    if data.period_end < data.period_start:
        raise SetupError(_l("Ngày kết thúc phong trào phải sau ngày bắt đầu."))
    if data.total_points <= 0:
        raise SetupError(_l("Tổng điểm phải lớn hơn 0."))
    if data.min_reviews < 1:
        raise SetupError(_l("Số phiếu chấm tối thiểu phải từ 1 trở lên."))


def create_campaign(data: CampaignData) -> Campaign:
    """Add a campaign. Raises ``SetupError`` for a taken code or a period that ends before it starts."""
    _check_campaign(data)
    campaign = Campaign()
    _assign(campaign, data)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, data: CampaignData) -> None:
    """Change a campaign's details and settings (same rules as ``create_campaign``)."""
    _check_campaign(data, exclude_id=campaign.id)
    _assign(campaign, data)
    db.session.flush()


# --------------------------------------------------------------------------- rounds


def _check_round(data: RoundData, exclude_id: int | None = None) -> None:
    if code_taken(Round, data.code, exclude_id=exclude_id):
        raise SetupError(_l("Mã đợt xét %(code)s đã được dùng.", code=data.code))
    if not dates_in_order(
        data.nomination_opens, data.nomination_closes, data.review_deadline, data.ceremony_date
    ):
        raise SetupError(_round_dates_message(data.code))
    if data.disclosure_days is not None and data.disclosure_days <= 0:
        raise SetupError(_l("Số ngày công khai phải lớn hơn 0, hoặc để trống nếu không công khai."))


_PHASE_ORDER = list(RoundPhase)


def phase_move_allowed(round_: Round, phase: RoundPhase) -> bool:
    """A round moves forward one phase at a time (the optional disclosure may be skipped); the only
    ways back are reviewing → nominating (to receive late dossiers) and nominating → setup while no
    nomination has been filed (criteria and award forms are then still free to change)."""
    current = round_.phase or RoundPhase.SETUP
    if round_.id is None or current is phase:
        return True
    step = _PHASE_ORDER.index(phase) - _PHASE_ORDER.index(current)
    if step == 1:
        return True
    if step == 2 and current is RoundPhase.COUNCIL and phase is RoundPhase.APPROVING:
        return True
    if current is RoundPhase.REVIEWING and phase is RoundPhase.NOMINATING:
        return True
    if current is RoundPhase.NOMINATING and phase is RoundPhase.SETUP:
        return not _has_nominations([round_.id])
    return False


def _has_nominations(round_ids: list[int]) -> bool:
    return bool(
        round_ids
        and db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Nomination)
            .where(Nomination.round_id.in_(round_ids))
        )
    )


def _check_phase(round_: Round, campaign: Campaign, phase: RoundPhase, days: int | None) -> None:
    if not phase_move_allowed(round_, phase):
        raise SetupError(
            _l(
                "Không thể chuyển đợt xét từ giai đoạn “%(current)s” sang “%(phase)s”: mỗi lần chỉ "
                "chuyển sang giai đoạn kế tiếp (được quay lại nhận hồ sơ từ giai đoạn chấm điểm, "
                "hoặc về chuẩn bị khi chưa có hồ sơ nào).",
                current=labels.PHASE_LABELS[round_.phase or RoundPhase.SETUP],
                phase=labels.PHASE_LABELS[phase],
            )
        )
    if phase is RoundPhase.DISCLOSURE and not days:
        raise SetupError(
            _l(
                "Đợt xét không có thời gian công khai lấy ý kiến. Hãy nhập số ngày công khai "
                "trước khi chuyển sang giai đoạn này."
            )
        )
    leaving_setup = (round_.phase or RoundPhase.SETUP) is RoundPhase.SETUP
    if leaving_setup and phase is not RoundPhase.SETUP:
        problems = validate_setup(campaign)
        if problems:
            raise SetupError(
                _l(
                    "Chưa thể chuyển đợt xét sang giai đoạn “%(phase)s”: cấu hình phong trào còn "
                    "%(count)d vấn đề cần khắc phục (xem trang phong trào).",
                    phase=labels.PHASE_LABELS[phase],
                    count=len(problems),
                )
            )


def create_round(campaign: Campaign, data: RoundData) -> Round:
    """Add a round to ``campaign``. A phase other than ``setup`` obeys ``set_round_phase``'s rules."""
    _check_round(data)
    round_ = Round(phase=RoundPhase.SETUP)
    _check_phase(round_, campaign, data.phase, data.disclosure_days)
    db.session.add(round_)
    _assign(round_, data, skip=frozenset({"phase"}))
    round_.campaign = campaign
    _enter(round_, data.phase)
    db.session.flush()
    return round_


def update_round(round_: Round, data: RoundData) -> None:
    """Change a round's code, name, dates and phase (a phase change obeys ``set_round_phase``)."""
    _check_round(data, exclude_id=round_.id)
    phase = data.phase
    if phase is not round_.phase:
        _check_phase(round_, round_.campaign, phase, data.disclosure_days)
    _assign(round_, data, skip=frozenset({"phase"}))
    if phase is not round_.phase:
        _enter(round_, phase)
    db.session.flush()


def set_round_phase(round_: Round, phase: RoundPhase) -> None:
    """Move a round to ``phase``.

    Refused (``SetupError``) when the round is already there, when leaving ``setup`` while
    ``validate_setup`` reports problems, and when entering ``disclosure`` without disclosure days.
    """
    if phase is round_.phase:
        raise SetupError(
            _l("Đợt xét đã ở giai đoạn “%(phase)s”.", phase=labels.PHASE_LABELS[phase])
        )
    _check_phase(round_, round_.campaign, phase, round_.disclosure_days)
    _enter(round_, phase)
    db.session.flush()


def _enter(round_: Round, phase: RoundPhase) -> None:
    """Move to ``phase`` (already checked by ``_check_phase``): a disclosure window is gone through
    and opens on entering it."""
    today = clock.today()
    _check_disclosure(round_, phase, today)
    if phase is RoundPhase.DISCLOSURE:
        disclosure.open_window(round_, today)
    round_.phase = phase


def _check_disclosure(round_: Round, phase: RoundPhase, on: date) -> None:
    """A round with a disclosure window goes through it, and leaves it only once it has ended."""
    current = round_.phase or RoundPhase.SETUP
    if current is RoundPhase.COUNCIL and phase is RoundPhase.APPROVING and round_.disclosure_days:
        raise SetupError(
            _l(
                "Đợt xét có %(n)d ngày làm việc công khai lấy ý kiến: hãy chuyển sang giai đoạn công "
                "khai trước khi phê duyệt (hoặc bỏ số ngày công khai trong thông tin đợt xét).",
                n=round_.disclosure_days,
            )
        )
    if (
        current is RoundPhase.DISCLOSURE
        and round_.disclosure_ends is not None
        and on <= round_.disclosure_ends
    ):
        raise SetupError(
            _l(
                "Đợt xét đang công khai lấy ý kiến đến hết ngày %(d)s: chưa thể chuyển giai đoạn.",
                d=round_.disclosure_ends.strftime("%d/%m/%Y"),
            )
        )


# --------------------------------------------------------------------------- criterion groups


def _refuse_if_frozen(campaign: Campaign) -> None:
    if is_setup_frozen(campaign):
        raise SetupError(
            _l(
                "Không thể xóa: phong trào đã có đợt xét rời giai đoạn Chuẩn bị, nên tiêu chí và "
                "hình thức khen thưởng đang được sử dụng và phải giữ nguyên."
            )
        )


# What filed nominations and submitted scores rest on: unchangeable once the setup is in use.
_FROZEN_CRITERION_FIELDS = ("group_id", "max_points", "weight", "applies_to", "target_value")
_FROZEN_AWARD_FORM_FIELDS = ("for_collectives", "for_individuals")


def _refuse_frozen_changes(
    campaign: Campaign, current: object, data: object, names: tuple[str, ...]
) -> None:
    if not is_setup_frozen(campaign):
        return
    changed = [name for name in names if getattr(current, name) != getattr(data, name)]
    if changed:
        raise SetupError(
            _l(
                "Phong trào đã có đợt xét rời giai đoạn Chuẩn bị hoặc đã có hồ sơ: không thể đổi "
                "điểm tối đa, trọng số, đối tượng áp dụng, chỉ tiêu hay nhóm của tiêu chí, cũng như "
                "đối tượng của hình thức khen thưởng. Các nội dung khác vẫn sửa được."
            )
        )


def create_criterion_group(campaign: Campaign, data: GroupData) -> CriterionGroup:
    """Add a criterion group. Raises ``SetupError`` when the code is taken in the campaign."""
    if code_taken(CriterionGroup, data.code, campaign_id=campaign.id):
        raise SetupError(_l("Mã nhóm tiêu chí %(code)s đã có trong phong trào.", code=data.code))
    group = CriterionGroup()
    db.session.add(group)
    _assign(group, data)
    group.campaign = campaign
    db.session.flush()
    return group


def update_criterion_group(group: CriterionGroup, data: GroupData) -> None:
    """Change a criterion group (its code stays unique within the campaign)."""
    if code_taken(CriterionGroup, data.code, campaign_id=group.campaign_id, exclude_id=group.id):
        raise SetupError(_l("Mã nhóm tiêu chí %(code)s đã có trong phong trào.", code=data.code))
    _assign(group, data)
    db.session.flush()


def delete_criterion_group(group: CriterionGroup) -> None:
    """Delete an empty group while the campaign is still in set-up; ``SetupError`` otherwise."""
    campaign = group.campaign
    _refuse_if_frozen(campaign)
    if group.criteria:
        raise SetupError(
            _l(
                "Nhóm %(code)s còn %(count)d tiêu chí. Hãy xóa hoặc chuyển các tiêu chí sang nhóm "
                "khác trước.",
                code=group.code,
                count=len(group.criteria),
            )
        )
    db.session.delete(group)
    db.session.flush()
    db.session.expire(campaign, ["criterion_groups"])


# --------------------------------------------------------------------------- criteria


def _criterion_group(campaign_id: int, data: CriterionData) -> CriterionGroup:
    group = db.session.get(CriterionGroup, data.group_id)
    if group is None or group.campaign_id != campaign_id:
        raise SetupError(_l("Nhóm tiêu chí đã chọn không thuộc phong trào này."))
    return group


def _check_criterion(campaign_id: int, data: CriterionData, exclude_id: int | None = None) -> None:
    if code_taken(Criterion, data.code, campaign_id=campaign_id, exclude_id=exclude_id):
        raise SetupError(_l("Mã tiêu chí %(code)s đã có trong phong trào.", code=data.code))
    if data.max_points <= 0:
        raise SetupError(_l("Điểm tối đa phải lớn hơn 0."))
    if data.weight <= 0:
        raise SetupError(_l("Trọng số phải lớn hơn 0."))
    if data.target_value is not None and data.target_value <= 0:
        raise SetupError(
            _l("Chỉ tiêu phải lớn hơn 0, hoặc để trống nếu tiêu chí không định lượng.")
        )


def create_criterion(campaign: Campaign, data: CriterionData) -> Criterion:
    """Add a criterion to one of the campaign's groups. ``SetupError`` for a taken code, a group of
    another campaign, or non-positive points, weight or target."""
    _check_criterion(campaign.id, data)
    group = _criterion_group(campaign.id, data)
    criterion = Criterion()
    db.session.add(criterion)
    _assign(criterion, data, skip=frozenset({"group_id"}))
    criterion.campaign = campaign
    criterion.group = group
    db.session.flush()
    return criterion


def update_criterion(criterion: Criterion, data: CriterionData) -> None:
    """Change a criterion (same rules as ``create_criterion``); once the setup is in use, what scores
    rest on (``_FROZEN_CRITERION_FIELDS``) cannot change."""
    _check_criterion(criterion.campaign_id, data, exclude_id=criterion.id)
    _refuse_frozen_changes(criterion.campaign, criterion, data, _FROZEN_CRITERION_FIELDS)
    group = _criterion_group(criterion.campaign_id, data)
    _assign(criterion, data, skip=frozenset({"group_id"}))
    criterion.group = group
    db.session.flush()


def delete_criterion(criterion: Criterion) -> None:
    """Delete a criterion while the campaign is still in set-up; ``SetupError`` otherwise."""
    campaign = criterion.campaign
    _refuse_if_frozen(campaign)
    group = criterion.group
    db.session.delete(criterion)
    db.session.flush()
    db.session.expire(campaign, ["criteria"])
    db.session.expire(group, ["criteria"])


# --------------------------------------------------------------------------- award forms


def _check_award_form(campaign_id: int, data: AwardFormData, exclude_id: int | None = None) -> None:
    if code_taken(AwardForm, data.code, campaign_id=campaign_id, exclude_id=exclude_id):
        raise SetupError(
            _l("Mã hình thức khen thưởng %(code)s đã có trong phong trào.", code=data.code)
        )
    if not (data.for_collectives or data.for_individuals):
        raise SetupError(_l("Chọn ít nhất một đối tượng: tập thể hoặc cá nhân."))
    if not Decimal(0) < data.ballot_threshold <= Decimal(100):
        raise SetupError(_l("Tỷ lệ phiếu đồng ý phải lớn hơn 0 và không quá 100%."))
    negatives = [
        data.min_score,
        data.cash_multiple_collective,
        data.cash_multiple_individual,
        *(q for q in (data.quota_total, data.quota_per_unit) if q is not None),
    ]
    if any(value < 0 for value in negatives):
        raise SetupError(_l("Điểm tối thiểu, chỉ tiêu và hệ số tiền thưởng không được âm."))


def create_award_form(campaign: Campaign, data: AwardFormData) -> AwardForm:
    """Add an award form. ``SetupError`` for a taken code, no recipient kind, or values out of range."""
    _check_award_form(campaign.id, data)
    form = AwardForm()
    db.session.add(form)
    _assign(form, data)
    form.campaign = campaign
    db.session.flush()
    return form


def update_award_form(form: AwardForm, data: AwardFormData) -> None:
    """Change an award form (same rules as ``create_award_form``); once the setup is in use, the
    recipient kinds it is open to cannot change (quotas, thresholds and signers still can)."""
    _check_award_form(form.campaign_id, data, exclude_id=form.id)
    _refuse_frozen_changes(form.campaign, form, data, _FROZEN_AWARD_FORM_FIELDS)
    _assign(form, data)
    db.session.flush()


def delete_award_form(form: AwardForm) -> None:
    """Delete an award form while the campaign is still in set-up; ``SetupError`` otherwise."""
    campaign = form.campaign
    _refuse_if_frozen(campaign)
    db.session.delete(form)
    db.session.flush()
    db.session.expire(campaign, ["award_forms"])


# --------------------------------------------------------------------------- copies

_NOT_COPIED = frozenset({"id", "campaign_id", "group_id", "created_at"})


def _columns(obj: object) -> dict[str, Any]:
    mapper = sa.inspect(obj).mapper
    return {a.key: getattr(obj, a.key) for a in mapper.column_attrs if a.key not in _NOT_COPIED}


def copy_campaign(
    source: Campaign, *, code: str, name: str, period_start: date, period_end: date
) -> Campaign:
    """A new campaign with ``source``'s legal basis, settings, criterion groups, criteria and award
    forms (new rows, same values); rounds and nominations are not copied. Records one ``copy`` audit
    event naming the source. ``SetupError`` for a taken code or a period that ends before it starts.
    """
    if code_taken(Campaign, code):
        raise SetupError(_l("Mã phong trào %(code)s đã được dùng.", code=code))
    if period_end < period_start:
        raise SetupError(_l("Ngày kết thúc phong trào phải sau ngày bắt đầu."))
    values = _columns(source)
    values.update(code=code, name=name, period_start=period_start, period_end=period_end)
    campaign = Campaign(**values)
    groups: dict[int, CriterionGroup] = {}
    for group in source.criterion_groups:
        groups[group.id] = CriterionGroup(**_columns(group), campaign=campaign)
    for criterion in source.criteria:
        Criterion(**_columns(criterion), campaign=campaign, group=groups[criterion.group_id])
    for form in source.award_forms:
        AwardForm(**_columns(form), campaign=campaign)
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        "copy",
        "campaigns",
        campaign.id,
        before={"source_id": source.id, "source_code": source.code},
        after={
            "code": campaign.code,
            "criterion_groups": len(campaign.criterion_groups),
            "criteria": len(campaign.criteria),
            "award_forms": len(campaign.award_forms),
        },
    )
    return campaign


def shift_date(day: date, years: int) -> date:
    """``day`` moved by ``years`` years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def shift_years_in_text(text: str, years: int) -> str:
    """Replace each four-digit year (1900–2099) in ``text`` by the year ``years`` later.

    Used to suggest the code and name of a copy: "Ngày Chuyển đổi số 10/10/2024" → "…/2025".
    """
    return re.sub(r"(?<!\d)(?:19|20)\d{2}(?!\d)", lambda m: str(int(m.group()) + years), text)


def copy_round(
    source: Round, *, campaign: Campaign, code: str, name: str, shift_years: int = 1
) -> Round:
    """A new round in ``campaign`` (the same or another) with ``source``'s dates moved by
    ``shift_years`` years and phase ``setup``; nominations are not copied. Records one ``copy`` audit
    event naming the source. ``SetupError`` for a taken code.
    """
    if code_taken(Round, code):
        raise SetupError(_l("Mã đợt xét %(code)s đã được dùng.", code=code))
    review_deadline = source.review_deadline
    round_ = Round(
        campaign=campaign,
        code=code,
        name=name,
        nomination_opens=shift_date(source.nomination_opens, shift_years),
        nomination_closes=shift_date(source.nomination_closes, shift_years),
        review_deadline=shift_date(review_deadline, shift_years) if review_deadline else None,
        ceremony_date=shift_date(source.ceremony_date, shift_years),
        disclosure_days=source.disclosure_days,
        phase=RoundPhase.SETUP,
    )
    db.session.add(round_)
    db.session.flush()
    audit.record(
        "copy",
        "rounds",
        round_.id,
        before={"source_id": source.id, "source_code": source.code},
        after={"code": code, "campaign_id": campaign.id, "shift_years": shift_years},
    )
    return round_
