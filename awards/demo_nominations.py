"""Demo nominations for the rounds CDS2024 and CDS2025 (fictional people, realistic content).

``CDS2024`` holds dossiers accepted into review, which the later stages (``demo_reviews``,
``demo_decisions``) carry to an issued decision. ``CDS2025`` is past its filing: most dossiers
accepted into review (carried on to the approval), and the rest as a closed filing leaves them —
drafts never submitted, dossiers returned and not filed again, one withdrawn. ``file_round`` with
``FILING_PLAN`` files a round caught mid-filing (every state of the filing stage, extensions for the
README's units): the browser tests build their own round that way (``demo.seed_filing_round``).
Everything goes through the same services as the interface — nominations, evidence, submissions,
the transition function — with dates inside each round's filing window.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from awards import accounts, clock, evidence, submissions, workflow
from awards import nominations as noms
from awards.extensions import db
from awards.nomination_lists import NOMINATION_STATE_LABELS
from models import (
    Nomination,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
    Sex,
    StaffCategory,
    Unit,
    User,
)

CAMPAIGN_NAME = "Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025"
CITATION = f"Đã có thành tích xuất sắc trong phong trào thi đua “{CAMPAIGN_NAME}”"

# (unit code, collective name, [(full name, sex, birth year, position, leader?)])
FILERS = [
    (
        "STTTT",
        "Phòng Chuyển đổi số, Sở Thông tin và Truyền thông",
        [
            ("Nguyễn Thị Phượng", Sex.FEMALE, 1986, "Trưởng phòng Chuyển đổi số", True),
            ("Trần Quang Huy", Sex.MALE, 1991, "Chuyên viên", False),
        ],
    ),
    (
        "TP-TS",
        "Văn phòng HĐND và UBND thành phố Từ Sơn",
        [
            ("Lê Thị Thu Trang", Sex.FEMALE, 1988, "Chuyên viên Văn phòng", False),
        ],
    ),
    (
        "SNNPTNT",
        "Chi cục Phát triển nông thôn",
        [("Đặng Văn Tuấn", Sex.MALE, 1979, "Phó Chi cục trưởng", True)],
    ),
    (
        "SYT",
        "Trung tâm Kiểm soát bệnh tật tỉnh",
        [("Phạm Thị Hương", Sex.FEMALE, 1984, "Bác sĩ, Trưởng khoa", True)],
    ),
    (
        "SGDDT",
        "Trường THPT Chuyên Bắc Ninh",
        [("Hoàng Minh Châu", Sex.FEMALE, 1990, "Giáo viên Tin học", False)],
    ),
    (
        "STC",
        "Phòng Tin học và Thống kê",
        [("Vũ Đức Mạnh", Sex.MALE, 1987, "Chuyên viên chính", False)],
    ),
    (
        "STP",
        "Trung tâm Trợ giúp pháp lý",
        [("Ngô Thị Lan Anh", Sex.FEMALE, 1993, "Trợ giúp viên pháp lý", False)],
    ),
    ("SKHDT", "Phòng Đăng ký kinh doanh", [("Bùi Văn Long", Sex.MALE, 1982, "Trưởng phòng", True)]),
    (
        "BHXH",
        "Phòng Công nghệ thông tin",
        [("Đỗ Thị Ngọc Ánh", Sex.FEMALE, 1989, "Kỹ sư phần mềm", False)],
    ),
    (
        "CAT",
        "Phòng Cảnh sát quản lý hành chính về trật tự xã hội",
        [
            ("Nguyễn Văn Hải", Sex.MALE, 1985, "Đội trưởng", True),
        ],
    ),
    (
        "TP-BN",
        "Phòng Văn hóa và Thông tin thành phố Bắc Ninh",
        [
            ("Trịnh Thị Mai", Sex.FEMALE, 1992, "Chuyên viên", False),
        ],
    ),
    (
        "P-DINHBANG",
        "UBND phường Đình Bảng",
        [("Nguyễn Đình Khoa", Sex.MALE, 1980, "Chủ tịch UBND phường", True)],
    ),
    (
        "H-TD",
        "Bộ phận Một cửa huyện Tiên Du",
        [("Lương Thị Hà", Sex.FEMALE, 1994, "Công chức Một cửa", False)],
    ),
    (
        "TX-QV",
        "Trung tâm Văn hóa – Thông tin thị xã Quế Võ",
        [("Cao Văn Thịnh", Sex.MALE, 1983, "Phó Giám đốc", True)],
    ),
    (
        "VNPT-BN",
        "Trung tâm Công nghệ thông tin VNPT Bắc Ninh",
        [
            ("Phan Thị Thanh Tâm", Sex.FEMALE, 1990, "Kỹ sư giải pháp", False),
        ],
    ),
    (
        "VIETTEL-BN",
        "Phòng Giải pháp doanh nghiệp Viettel Bắc Ninh",
        [
            ("Tạ Quang Vinh", Sex.MALE, 1988, "Trưởng phòng", True),
        ],
    ),
    (
        "H-YP",
        "Văn phòng HĐND và UBND huyện Yên Phong",
        [("Dương Thị Kim Oanh", Sex.FEMALE, 1987, "Chánh Văn phòng", True)],
    ),
]

# The state each unit's dossier reaches in a round caught mid-filing (cycled over FILERS): every
# state of the filing stage. CAT (index 9) submits 19/TTr-CAT, which the browser test returns.
FILING_PLAN = [
    "draft",
    "in_review",
    "submitted",
    "returned",
    "in_review",
    "submitted",
    "withdrawn",
    "in_review",
    "draft",
    "submitted",
    "returned",
    "in_review",
    "submitted",
    "draft",
    "in_review",
    "submitted",
    "draft",
]

# CDS2025 after its filing closed: what was submitted has been accepted into review; drafts never
# submitted, returned dossiers not filed again and the withdrawn one stay as they were.
CDS2025_PLAN = [
    "in_review",
    "in_review",
    "in_review",
    "returned",
    "in_review",
    "in_review",
    "withdrawn",
    "in_review",
    "draft",
    "in_review",
    "returned",
    "in_review",
    "in_review",
    "draft",
    "in_review",
    "in_review",
    "draft",
]

# The units whose accounts the README lists: the board extends their filing in a round caught
# mid-filing, so their clerks and heads can still draft and submit whenever the demo is explored.
EXTENDED_UNITS = ("STTTT", "TP-TS")

ACHIEVEMENTS = [
    "Tham mưu ban hành kế hoạch chuyển đổi số năm đúng hạn; 100% văn bản đi được ký số, gửi nhận trên môi trường điện tử.",
    "Triển khai dịch vụ công trực tuyến toàn trình, tỷ lệ hồ sơ nộp trực tuyến đạt trên 90%; số hóa kết quả giải quyết thủ tục hành chính.",
    "Xây dựng cơ sở dữ liệu chuyên ngành, kết nối, chia sẻ với nền tảng tích hợp dữ liệu của tỉnh.",
    "Tổ chức tập huấn kỹ năng số cho cán bộ, công chức; hướng dẫn người dân cài đặt, sử dụng ứng dụng VNeID và các nền tảng số.",
]


@dataclass(frozen=True)
class Person:
    name: str
    sex: Sex
    born: int
    position: str
    leader: bool


def evidence_pdf() -> bytes:
    """One small real PDF used as the evidence file of every demo nomination."""
    from exports.pdf import render_html

    html = (
        "<!doctype html><html><head><meta charset='utf-8'></head><body>"
        "<h1>Báo cáo thành tích (bản minh chứng mẫu)</h1>"
        "<p>Tài liệu minh chứng dùng cho dữ liệu trình diễn của hệ thống Khen Thưởng Số.</p>"
        "</body></html>"
    )
    return render_html(html)


def _head_of(unit: Unit) -> User:
    head = db.session.scalar(
        sa.select(User).where(User.unit_id == unit.id, User.role_rows.any(role=Role.UNIT_HEAD))
    )
    if head is None:
        head = accounts.create_user(
            username=f"thutruong.{unit.code.lower()}",
            full_name=f"Thủ trưởng {unit.name}",
            password=_demo_password(),
            roles={Role.UNIT_HEAD},
            unit_id=unit.id,
            must_change_password=False,
        )
    return head


def _demo_password() -> str:
    from awards.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def _data(
    round_: Round, kind: RecipientKind, name: str, person: Person | None, index: int
) -> noms.NominationData:
    forms = noms.award_forms_for(round_, kind)
    award_form = forms[index % len(forms)]
    scores = []
    for position, criterion in enumerate(noms.criteria_for(round_, kind)):
        # Strong but not perfect self-assessments, a little different per nominee.
        step = Decimal((index + position) % 3) / 2
        points = max(criterion.max_points - step, Decimal(0))
        value = None
        if criterion.is_measurable:
            value = criterion.target_value + Decimal((index * 3 + position) % 9) - Decimal(2)
            value = min(value, Decimal(100))
            points = criterion.suggested_points(value)
        scores.append(noms.ScoreInput(criterion.id, points, value))
    achievements = "\n\n".join(ACHIEVEMENTS[index % 2 :] + ACHIEVEMENTS[: index % 2])
    common = {
        "kind": kind,
        "award_form_id": award_form.id,
        "nominee_name": name,
        "citation": CITATION,
        "report_achievements": achievements,
        "report_measures": "Đề xuất và triển khai sáng kiến số hóa quy trình nội bộ, được áp dụng tại đơn vị.",
        "scores": scores,
        "past_awards": [
            noms.PastAwardInput(2023, "Giấy khen của Giám đốc Sở", f"{100 + index}/QĐ-SNV")
        ],
    }
    if person is None:
        return noms.NominationData(
            **common,
            report_profile="Đơn vị có chức năng tham mưu, tổ chức thực hiện nhiệm vụ chuyển đổi số; "
            f"tổng số {18 + index} cán bộ, công chức, người lao động.",
            headcount=18 + index,
            women_share=Decimal(40 + (index * 7) % 45),
        )
    return noms.NominationData(
        **common,
        report_profile=f"Họ và tên: {person.name}; năm sinh {person.born}; chức vụ: {person.position}; "
        "trình độ chuyên môn: Đại học Công nghệ thông tin.",
        sex=person.sex,
        date_of_birth=date(person.born, 1 + index % 12, 1 + (index * 5) % 27),
        position=person.position,
        staff_category=StaffCategory.LEADER if person.leader else StaffCategory.STAFF,
        workplace="",
        citizen_id=f"0272{person.born % 100:02d}{index:06d}",
    )


def _file(nomination_id: int, pdf: bytes) -> FileStorage:
    return FileStorage(
        stream=io.BytesIO(pdf),
        filename=f"Báo cáo thành tích {nomination_id}.pdf",
        content_type="application/pdf",
    )


def file_round(round_: Round, plan: list[str], board: User, pdf: bytes, filed_on: date) -> int:
    """File one dossier per unit of FILERS in ``round_`` (in ``nominating``) and move it to the
    planned state; returns the number of nominations created."""
    created = 0
    filed: list[Nomination] = []
    for index, (unit_code, collective, people) in enumerate(FILERS):
        target = plan[index % len(plan)]
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        head = _head_of(unit)
        batch = [
            noms.create_nomination(
                round_, unit, head, _data(round_, RecipientKind.COLLECTIVE, collective, None, index)
            )
        ]
        for offset, person in enumerate(people):
            data = _data(
                round_, RecipientKind.INDIVIDUAL, person[0], Person(*person), index + offset + 1
            )
            batch.append(noms.create_nomination(round_, unit, head, data))
        for nomination in batch:
            evidence.add_file(nomination, _file(nomination.id, pdf), head)
        filed.extend(batch)
        created += len(batch)
        if target == "draft":
            continue
        if target == "withdrawn":
            for nomination in batch:
                workflow.transition(nomination, "withdraw", head, on=filed_on)
            continue
        number = f"{10 + index}/TTr-{unit_code}"
        dossier = submissions.submit_dossier(
            round_,
            unit,
            head,
            number=number,
            signed_on=filed_on,
            signer_name=head.full_name,
            signer_title="THỦ TRƯỞNG ĐƠN VỊ",
            minutes_date=filed_on - timedelta(days=3),
            council_members=7,
            votes_for=6 + index % 2,
            nomination_ids=[n.id for n in batch],
            minutes=FileStorage(
                stream=io.BytesIO(pdf),
                filename="Biên bản họp Hội đồng thi đua – khen thưởng.pdf",
                content_type="application/pdf",
            ),
            on=filed_on,
        )
        for nomination in batch:
            if target == "in_review":
                workflow.transition(nomination, "accept", board, on=filed_on + timedelta(days=2))
            elif target == "returned":
                workflow.transition(
                    nomination,
                    "return",
                    board,
                    reason="Báo cáo thành tích chưa nêu số liệu so sánh với năm trước; đề nghị bổ sung.",
                    on=filed_on + timedelta(days=2),
                )
        dossier.submitted_at = _at(filed_on, 8)
    for nomination in filed:
        _backdate(nomination, filed_on)
    return created


# When each step of the story happened (UTC), so the pages read like a real 2024 or 2025 round
# rather than showing the moment the demo was loaded. The audit trail keeps the real load times.
_STEP_OFFSETS = {
    "create": (-7, 2),
    "withdraw": (0, 4),
    "submit": (0, 8),
    "accept": (2, 3),
    "return": (2, 3),
}


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))


def _backdate(nomination: Nomination, filed_on: date) -> None:
    for event in nomination.events:
        days, hour = _STEP_OFFSETS.get(event.action, (0, 9))
        event.created_at = _at(filed_on + timedelta(days=days), hour)
    nomination.created_at = _at(filed_on - timedelta(days=7), 2)
    if nomination.submitted_at is not None:
        nomination.submitted_at = _at(filed_on, 8)
    for file in nomination.files:
        file.uploaded_at = _at(filed_on - timedelta(days=6), 3)


def grant_extensions(round_: Round, board: User) -> None:
    """Extend the filing of ``EXTENDED_UNITS`` in ``round_`` to 90 days past today (or past the
    round's deadline if that is later)."""
    until = max(clock.today(), round_.nomination_closes) + timedelta(days=90)
    for code in EXTENDED_UNITS:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
        submissions.grant_extension(
            round_,
            unit,
            until=until,
            reason="Gia hạn để đơn vị hoàn thiện hồ sơ (dữ liệu trình diễn).",
            actor=board,
        )


def state_summary(round_: Round) -> str:
    """How many nominations of ``round_`` are in each state ("Đang soạn 3, Đề nghị khen thưởng 20, …")."""
    states = db.session.execute(
        sa.select(Nomination.state, sa.func.count())
        .where(Nomination.round_id == round_.id)
        .group_by(Nomination.state)
    ).all()
    return ", ".join(f"{NOMINATION_STATE_LABELS[state]} {n}" for state, n in sorted(states))


def seed(board: User) -> str:
    """Load the demo nominations (flushes; the caller commits)."""
    pdf = evidence_pdf()
    rounds = {r.code: r for r in db.session.scalars(sa.select(Round))}
    cds2024, cds2025 = rounds["CDS2024"], rounds["CDS2025"]
    for round_ in (cds2024, cds2025):
        round_.phase = RoundPhase.NOMINATING
    count_2024 = file_round(cds2024, ["in_review"], board, pdf, date(2024, 9, 20))
    count_2025 = file_round(cds2025, CDS2025_PLAN, board, pdf, date(2025, 9, 22))
    for round_ in (cds2024, cds2025):
        round_.phase = RoundPhase.REVIEWING
    return (
        f"{count_2024} hồ sơ CDS2024 (đã tiếp nhận), "
        f"{count_2025} hồ sơ CDS2025 khi hết hạn nộp ({state_summary(cds2025)})"
    )
