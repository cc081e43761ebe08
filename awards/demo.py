"""Demo data: the Bắc Ninh campaign "Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025".

Units are those of DOMAIN.md §7 (Bắc Ninh before the July 2025 merger, the campaign's own period), the
criteria those of DOMAIN.md §8, the award forms those of §2. People are fictional. The production
configuration refuses to load any of it (``awards/cli.py``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from awards import accounts, demo_decisions, demo_nominations, demo_reviews
from awards.extensions import db
from models import (
    Aggregation,
    AppliesTo,
    AwardForm,
    AwardType,
    BallotBase,
    Campaign,
    Criterion,
    CriterionGroup,
    Role,
    Round,
    RoundPhase,
    Unit,
    UnitKind,
    User,
)

DEMO_PASSWORD = "KhenThuong@2025"  # noqa: S105 — documented in the README; every demo account uses it
CAMPAIGN_CODE = "CDS-BN-2024-2025"

PROVINCE = ("UBND-BN", "Ủy ban nhân dân tỉnh Bắc Ninh")

PROVINCIAL_BODIES = [
    ("VP-UBND", "Văn phòng UBND tỉnh"),
    ("SNV", "Sở Nội vụ"),
    ("STTTT", "Sở Thông tin và Truyền thông"),
    ("SKHDT", "Sở Kế hoạch và Đầu tư"),
    ("STC", "Sở Tài chính"),
    ("STP", "Sở Tư pháp"),
    ("SCT", "Sở Công Thương"),
    ("SXD", "Sở Xây dựng"),
    ("SGTVT", "Sở Giao thông vận tải"),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("STNMT", "Sở Tài nguyên và Môi trường"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SYT", "Sở Y tế"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SLDTBXH", "Sở Lao động – Thương binh và Xã hội"),
    ("TTT", "Thanh tra tỉnh"),
    ("BQLKCN", "Ban Quản lý các khu công nghiệp"),
    ("CAT", "Công an tỉnh"),
    ("BHXH", "Bảo hiểm xã hội tỉnh"),
]

DISTRICTS = {
    ("TP-BN", "Thành phố Bắc Ninh"): [
        ("P-SUOIHOA", "Phường Suối Hoa"),
        ("P-VUNINH", "Phường Vũ Ninh"),
        ("P-KINHBAC", "Phường Kinh Bắc"),
        ("P-HOALONG", "Phường Hòa Long"),
    ],
    ("TP-TS", "Thành phố Từ Sơn"): [
        ("P-DINHBANG", "Phường Đình Bảng"),
        ("P-DONGKY", "Phường Đồng Kỵ"),
        ("P-DONGNGUYEN", "Phường Đồng Nguyên"),
        ("P-PHUKHE", "Phường Phù Khê"),
    ],
    ("TX-QV", "Thị xã Quế Võ"): [
        ("P-NHANHOA", "Phường Nhân Hòa"),
        ("X-PHULANG", "Xã Phù Lãng"),
    ],
    ("TX-TT", "Thị xã Thuận Thành"): [
        ("P-GIADONG", "Phường Gia Đông"),
        ("P-THANHKHUONG", "Phường Thanh Khương"),
    ],
    ("H-YP", "Huyện Yên Phong"): [("X-TAMDA", "Xã Tam Đa")],
    ("H-TD", "Huyện Tiên Du"): [
        ("TT-LIM", "Thị trấn Lim"),
        ("X-PHATTICH", "Xã Phật Tích"),
    ],
    ("H-GB", "Huyện Gia Bình"): [
        ("X-DONGCUU", "Xã Đông Cứu"),
        ("X-CAODUC", "Xã Cao Đức"),
    ],
    ("H-LT", "Huyện Lương Tài"): [],
}

ENTERPRISES = [
    ("VNPT-BN", "VNPT Bắc Ninh"),
    ("VIETTEL-BN", "Viettel Bắc Ninh"),
    ("BUUDIEN-BN", "Bưu điện tỉnh Bắc Ninh"),
]

LEGAL_BASIS = """Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;
Căn cứ Luật Thi đua, khen thưởng số 06/2022/QH15 ngày 15 tháng 6 năm 2022;
Căn cứ Nghị định số 152/2025/NĐ-CP của Chính phủ quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng;
Căn cứ Kế hoạch phát động phong trào thi đua “Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025”;
Theo đề nghị của Giám đốc Sở Nội vụ."""

# (group code, title, applies to, [(code, title, max points, target %, evidence required)])
CRITERIA = [
    (
        "NT",
        "Nhận thức và chỉ đạo",
        AppliesTo.COLLECTIVE,
        [
            ("NT1", "Họp Ban chỉ đạo, ban hành văn bản chỉ đạo về chuyển đổi số", 5, None, False),
            ("NT2", "Ban hành kế hoạch chuyển đổi số năm đúng hạn", 5, None, True),
            ("NT3", "Tuyên truyền, nâng cao nhận thức về chuyển đổi số", 5, None, False),
        ],
    ),
    (
        "CQS",
        "Chính quyền số",
        AppliesTo.COLLECTIVE,
        [
            ("CQ1", "Tỷ lệ văn bản đi được ký số", 10, None, True),
            ("CQ2", "Tỷ lệ thủ tục hành chính cung cấp trực tuyến toàn trình", 10, 80, True),
            ("CQ3", "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng", 10, 90, True),
            ("CQ4", "Báo cáo, chỉ đạo điều hành qua hệ thống thông tin báo cáo", 5, None, False),
        ],
    ),
    (
        "DL",
        "Dữ liệu và hạ tầng số",
        AppliesTo.COLLECTIVE,
        [
            ("DL1", "Xây dựng, chia sẻ cơ sở dữ liệu chuyên ngành", 8, None, True),
            ("DL2", "Đầu tư hạ tầng số, nền tảng số dùng chung", 7, None, False),
        ],
    ),
    (
        "KN",
        "Kỹ năng số",
        AppliesTo.COLLECTIVE,
        [
            ("KN1", "Đào tạo, bồi dưỡng kỹ năng số cho cán bộ, người lao động", 8, None, False),
            ("KN2", "Tỷ lệ cán bộ sử dụng thành thạo các nền tảng số", 7, None, False),
        ],
    ),
    (
        "ATTT",
        "An toàn thông tin",
        AppliesTo.COLLECTIVE,
        [
            ("AT1", "Phê duyệt cấp độ an toàn hệ thống thông tin", 6, None, True),
            ("AT2", "Không để xảy ra sự cố mất an toàn thông tin nghiêm trọng", 4, None, False),
        ],
    ),
    (
        "MH",
        "Sáng kiến và mô hình số",
        AppliesTo.COLLECTIVE,
        [
            ("MH1", "Ứng dụng AI, dữ liệu lớn, blockchain; mô hình kinh doanh số", 10, None, True),
        ],
    ),
    (
        "CN-NV",
        "Hoàn thành nhiệm vụ",
        AppliesTo.INDIVIDUAL,
        [
            ("CN1", "Xếp loại hoàn thành xuất sắc nhiệm vụ", 20, None, True),
        ],
    ),
    (
        "CN-SK",
        "Sáng kiến chuyển đổi số",
        AppliesTo.INDIVIDUAL,
        [
            ("CN2", "Sáng kiến, giải pháp chuyển đổi số được công nhận", 30, None, True),
        ],
    ),
    (
        "CN-UD",
        "Ứng dụng và lan tỏa",
        AppliesTo.INDIVIDUAL,
        [
            ("CN3", "Sử dụng công cụ số trong công việc hằng ngày", 20, None, False),
            ("CN4", "Tham gia đào tạo, tuyên truyền, hướng dẫn chuyển đổi số", 15, None, False),
        ],
    ),
    (
        "CN-TT",
        "Thành tích khác",
        AppliesTo.INDIVIDUAL,
        [
            ("CN5", "Kết quả hội thi, giải thưởng về chuyển đổi số", 15, None, True),
        ],
    ),
]

# username, full name, roles, unit code
ACCOUNTS = [
    ("quantri", "Phạm Quốc Hưng", {Role.ADMIN}, None),
    ("bantdkt", "Nguyễn Thị Thu Hà", {Role.BOARD}, "SNV"),
    ("lanhdao", "Trần Minh Đức", {Role.APPROVER}, "SNV"),
    ("hoidong1", "Lê Văn Khải", {Role.REVIEWER}, "SKHCN"),
    ("hoidong2", "Đỗ Thị Mai Anh", {Role.REVIEWER}, "VP-UBND"),
    ("hoidong3", "Vũ Đình Long", {Role.REVIEWER}, "STP"),
    ("hoidong4", "Trịnh Văn Tùng", {Role.REVIEWER}, "STNMT"),
    ("hoidong5", "Phan Thị Bích Ngọc", {Role.REVIEWER}, "SXD"),
    ("canbo.stttt", "Ngô Thị Phượng", {Role.UNIT_CLERK}, "STTTT"),
    ("thutruong.stttt", "Hoàng Văn Nam", {Role.UNIT_HEAD}, "STTTT"),
    ("canbo.tuson", "Bùi Thị Lan", {Role.UNIT_CLERK}, "TP-TS"),
    ("thutruong.tuson", "Nguyễn Đức Thắng", {Role.UNIT_HEAD}, "TP-TS"),
]


def has_data() -> bool:
    return bool(
        db.session.scalar(sa.select(sa.func.count()).select_from(User))
        or db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    )


def seed_units() -> dict[str, Unit]:
    start = date(2015, 1, 1)
    units: dict[str, Unit] = {}

    def add(code: str, name: str, kind: UnitKind, parent: Unit | None) -> Unit:
        unit = Unit(code=code, name=name, kind=kind, parent=parent, valid_from=start)
        db.session.add(unit)
        units[code] = unit
        return unit

    root = add(*PROVINCE, UnitKind.PROVINCE, None)
    for code, name in PROVINCIAL_BODIES:
        add(code, name, UnitKind.PROVINCIAL_BODY, root)
    for (code, name), communes in DISTRICTS.items():
        district = add(code, name, UnitKind.DISTRICT, root)
        for commune_code, commune_name in communes:
            add(commune_code, commune_name, UnitKind.COMMUNE, district)
    for code, name in ENTERPRISES:
        add(code, name, UnitKind.ENTERPRISE, root)
    db.session.flush()
    return units


def seed_campaign() -> Campaign:
    campaign = Campaign(
        code=CAMPAIGN_CODE,
        name="Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025",
        plan_reference="Kế hoạch số 245/KH-UBND ngày 15/5/2024 của UBND tỉnh Bắc Ninh",
        organiser="Ủy ban nhân dân tỉnh Bắc Ninh",
        standing_body="Sở Nội vụ (Ban Thi đua – Khen thưởng)",
        issuing_body="UBND",
        legal_basis=LEGAL_BASIS,
        period_start=date(2024, 1, 1),
        period_end=date(2025, 12, 31),
        aggregation=Aggregation.MEAN,
        min_reviews=3,
        total_points=Decimal(100),
    )
    db.session.add(campaign)
    position = 0
    for group_position, (group_code, group_title, applies_to, criteria) in enumerate(CRITERIA):
        group = CriterionGroup(
            campaign=campaign,
            code=group_code,
            title=group_title,
            applies_to=applies_to,
            position=group_position,
        )
        for code, title, points, target, evidence in criteria:
            position += 1
            campaign.criteria.append(
                Criterion(
                    group=group,
                    code=code,
                    title=title,
                    max_points=Decimal(points),
                    weight=Decimal(1),
                    applies_to=applies_to,
                    target_value=Decimal(target) if target else None,
                    target_unit="%" if target else "",
                    evidence_required=evidence,
                    position=position,
                )
            )
    campaign.award_forms = [
        AwardForm(
            code="BK-UBND",
            name="Bằng khen của Chủ tịch UBND tỉnh",
            certificate_title="BẰNG KHEN",
            awarding_title="CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
            award_type=AwardType.CAMPAIGN,
            min_score=Decimal(80),
            quota_total=30,
            quota_per_unit=2,
            ballot_threshold=Decimal(50),
            ballot_base=BallotBase.VOTING,
            cash_multiple_collective=Decimal("3.0"),
            cash_multiple_individual=Decimal("1.5"),
            signer_prefix="KT.",
            signer_title="PHÓ CHỦ TỊCH",
            signer_name="Nguyễn Hữu Thành",
            decision_symbol="QĐ-UBND",
            decision_issuer="ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH",
            position=1,
        ),
        AwardForm(
            code="GK-SNV",
            name="Giấy khen của Giám đốc Sở Nội vụ",
            certificate_title="GIẤY KHEN",
            awarding_title="GIÁM ĐỐC SỞ NỘI VỤ TỈNH BẮC NINH",
            award_type=AwardType.CAMPAIGN,
            min_score=Decimal(65),
            quota_total=60,
            quota_per_unit=3,
            ballot_threshold=Decimal(50),
            ballot_base=BallotBase.VOTING,
            cash_multiple_collective=Decimal("0.6"),
            cash_multiple_individual=Decimal("0.3"),
            signer_prefix="",
            signer_title="GIÁM ĐỐC",
            signer_name="Lê Thị Hồng Nhung",
            decision_symbol="QĐ-SNV",
            decision_issuer="UBND TỈNH BẮC NINH\nSỞ NỘI VỤ",
            position=2,
        ),
    ]
    campaign.rounds = [
        Round(
            code="CDS2024",
            name="Ngày Chuyển đổi số quốc gia 10/10/2024",
            nomination_opens=date(2024, 8, 1),
            nomination_closes=date(2024, 9, 30),
            review_deadline=date(2024, 10, 5),
            ceremony_date=date(2024, 10, 10),
            disclosure_days=None,
            phase=RoundPhase.NOMINATING,
        ),
        Round(
            code="CDS2025",
            name="Ngày Chuyển đổi số quốc gia 10/10/2025",
            nomination_opens=date(2025, 8, 1),
            nomination_closes=date(2025, 9, 30),
            review_deadline=date(2025, 10, 3),
            ceremony_date=date(2025, 10, 10),
            disclosure_days=10,
            phase=RoundPhase.SETUP,
        ),
    ]
    db.session.flush()
    return campaign


def seed_accounts(units: dict[str, Unit]) -> list[User]:
    users = []
    for username, full_name, roles, unit_code in ACCOUNTS:
        users.append(
            accounts.create_user(
                username=username,
                full_name=full_name,
                password=DEMO_PASSWORD,
                roles=roles,
                unit_id=units[unit_code].id if unit_code else None,
                must_change_password=False,
            )
        )
    return users


def seed() -> str:
    """Load the whole demo into an empty database (flushes; the caller commits)."""
    units = seed_units()
    campaign = seed_campaign()
    users = seed_accounts(units)
    board = next(u for u in users if u.username == "bantdkt")
    approver = next(u for u in users if u.username == "lanhdao")
    filed = demo_nominations.seed(board)
    reviewed = demo_reviews.seed(board)
    decided = demo_decisions.seed(board, approver)
    return (
        f"{len(units)} đơn vị, phong trào “{campaign.name}” với các đợt "
        f"{', '.join(r.code for r in campaign.rounds)}, {len(users)} tài khoản; {filed}; "
        f"{reviewed}; {decided}"
    )


def seed_filing_round(code: str, name: str) -> str:
    """Add a round ``code`` to the demo campaign caught mid-filing, as ``CDS2025`` was before its
    filing closed: its dates, dossiers of the 17 units in every filing state (``FILING_PLAN``),
    extensions for the README's units, and the dossiers in review half-scored. The browser tests
    work in such a round of their own, whatever stage the demo's rounds have reached (flushes; the
    caller commits)."""
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.code == CAMPAIGN_CODE))
    model = next(r for r in campaign.rounds if r.code == "CDS2025")
    round_ = Round(
        campaign=campaign,
        code=code,
        name=name,
        nomination_opens=model.nomination_opens,
        nomination_closes=model.nomination_closes,
        review_deadline=model.review_deadline,
        ceremony_date=model.ceremony_date,
        disclosure_days=model.disclosure_days,
        phase=RoundPhase.NOMINATING,
    )
    db.session.add(round_)
    db.session.flush()
    board = db.session.scalar(sa.select(User).where(User.username == "bantdkt"))
    filed = demo_nominations.file_round(
        round_,
        demo_nominations.FILING_PLAN,
        board,
        demo_nominations.evidence_pdf(),
        date(2025, 9, 22),
    )
    demo_nominations.grant_extensions(round_, board)
    submitted, drafts = demo_reviews.score_halfway(round_, board, date(2025, 9, 25))
    return (
        f"{filed} hồ sơ {code} ({demo_nominations.state_summary(round_)}); "
        f"{submitted} phiếu đã nộp, {drafts} phiếu nháp"
    )
