"""Translatable labels of the enums, shared by forms, templates and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models import (
    Aggregation,
    AppliesTo,
    AwardType,
    BallotBase,
    RecipientKind,
    Role,
    RoundPhase,
    UnitKind,
)

ROLE_LABELS = {
    Role.UNIT_CLERK: _l("Cán bộ thi đua đơn vị"),
    Role.UNIT_HEAD: _l("Thủ trưởng đơn vị"),
    Role.REVIEWER: _l("Thành viên Hội đồng (chấm điểm)"),
    Role.BOARD: _l("Ban Thi đua – Khen thưởng (Sở Nội vụ)"),
    Role.APPROVER: _l("Lãnh đạo phê duyệt"),
    Role.ADMIN: _l("Quản trị hệ thống"),
}

UNIT_KIND_LABELS = {
    UnitKind.PROVINCE: _l("Tỉnh"),
    UnitKind.PROVINCIAL_BODY: _l("Cơ quan cấp tỉnh"),
    UnitKind.DISTRICT: _l("Cấp huyện"),
    UnitKind.COMMUNE: _l("Cấp xã"),
    UnitKind.ENTERPRISE: _l("Doanh nghiệp"),
    UnitKind.OTHER: _l("Khác"),
}

PHASE_LABELS = {
    RoundPhase.SETUP: _l("Chuẩn bị"),
    RoundPhase.NOMINATING: _l("Nhận hồ sơ đề nghị"),
    RoundPhase.REVIEWING: _l("Chấm điểm"),
    RoundPhase.COUNCIL: _l("Hội đồng xét"),
    RoundPhase.DISCLOSURE: _l("Công khai lấy ý kiến"),
    RoundPhase.APPROVING: _l("Phê duyệt"),
    RoundPhase.DECIDED: _l("Đã ban hành quyết định"),
    RoundPhase.CLOSED: _l("Đã kết thúc"),
}

APPLIES_TO_LABELS = {
    AppliesTo.COLLECTIVE: _l("Tập thể"),
    AppliesTo.INDIVIDUAL: _l("Cá nhân"),
    AppliesTo.BOTH: _l("Tập thể và cá nhân"),
}

RECIPIENT_KIND_LABELS = {
    RecipientKind.COLLECTIVE: _l("Tập thể"),
    RecipientKind.INDIVIDUAL: _l("Cá nhân"),
}

AWARD_TYPE_LABELS = {
    AwardType.CAMPAIGN: _l("Khen thưởng phong trào / chuyên đề"),
    AwardType.MERIT: _l("Khen thưởng công trạng"),
}

AGGREGATION_LABELS = {
    Aggregation.MEAN: _l("Trung bình cộng"),
    Aggregation.MEDIAN: _l("Trung vị"),
}

BALLOT_BASE_LABELS = {
    BallotBase.ALL_MEMBERS: _l("Trên tổng số thành viên Hội đồng"),
    BallotBase.VOTING: _l("Trên số thành viên biểu quyết"),
}


def choices(labels: dict) -> list[tuple[str, object]]:
    """WTForms choices from a label table, in declaration order."""
    return [(key.value, label) for key, label in labels.items()]
