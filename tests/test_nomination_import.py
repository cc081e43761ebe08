"""Bulk filing from Excel: the template of a round (awards/nomination_import.template_spec and
exports/nomination_template.py) and the all-or-nothing import service."""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask import g
from openpyxl import Workbook, load_workbook

from awards import nomination_import
from awards.nomination_import import (
    COLUMNS,
    BulkResult,
    import_nominations,
    template_spec,
)
from awards.nominations import NominationData, create_nomination
from awards.unit_import import RowError
from exports.nomination_template import (
    GuideSection,
    NominationTemplate,
    TemplateColumn,
    build_template,
)
from models import (
    AppliesTo,
    AuditEvent,
    AwardForm,
    Campaign,
    Criterion,
    CriterionGroup,
    Nomination,
    NominationState,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
    SelfScore,
    Sex,
    StaffCategory,
    Unit,
    User,
)

CRITERIA_COLUMNS = ["diem_NT1", "diem_CQ2", "so_lieu_CQ2", "diem_CN1", "diem_CHUNG"]
HEADER = [*COLUMNS, *CRITERIA_COLUMNS]

COLLECTIVE = {
    "doi_tuong": "Tập thể",
    "hinh_thuc": "BK",
    "ten": "Phòng Công nghệ thông tin",
    "don_vi_cong_tac": "Sở Thông tin và Truyền thông",
    "so_nguoi": 12,
    "ty_le_nu": "58,5",
    "trich_yeu": "Đã có thành tích xuất sắc trong phong trào thi đua Chuyển đổi số",
    "bao_cao_dac_diem": "Phòng có 12 công chức.",
    "bao_cao_thanh_tich": "Hoàn thành 100% kế hoạch.\nKý số 98% văn bản đi.",
    "bao_cao_bien_phap": "Số hóa hồ sơ.",
    "khen_thuong_da_nhan": "2023 | Giấy khen của Giám đốc Sở | 125/QĐ-SNV; 2024 | Bằng khen",
    "diem_NT1": 4.5,
    "diem_CQ2": "7,5",
    "so_lieu_CQ2": 76,
    "diem_CHUNG": 8,
}
INDIVIDUAL = {
    "doi_tuong": "ca nhan",
    "hinh_thuc": "bk",
    "ten": "Nguyễn Thị Phượng",
    "don_vi_cong_tac": "Văn phòng Sở",
    "gioi_tinh": "nu",
    "ngay_sinh": "12/05/1986",
    "chuc_vu": "Trưởng phòng",
    "lanh_dao": "Lãnh đạo",
    "cccd": "027186001234",
    "diem_CN1": "18.5",
}


@dataclass
class Filing:
    round: Round
    unit: Unit
    clerk: User
    criteria: dict[str, Criterion]
    forms: dict[str, AwardForm]


@pytest.fixture()
def filing(db, make_unit, make_user) -> Filing:
    """A campaign with collective, individual and shared criteria (CQ2 measurable, in %), award forms
    for both kinds (BK), collectives only (TT) and individuals only (CS), and a round open for filing."""
    campaign = Campaign(
        code="CDS-TEST",
        name="Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025",
        period_start=date(2024, 1, 1),
        period_end=date(2025, 12, 31),
    )
    collective = CriterionGroup(
        campaign=campaign, code="TT", title="Tập thể", applies_to=AppliesTo.COLLECTIVE
    )
    individual = CriterionGroup(
        campaign=campaign, code="CN", title="Cá nhân", applies_to=AppliesTo.INDIVIDUAL
    )
    shared = CriterionGroup(campaign=campaign, code="C", title="Chung", applies_to=AppliesTo.BOTH)
    criteria = [
        Criterion(
            campaign=campaign,
            group=collective,
            code="NT1",
            title="Ban hành văn bản chỉ đạo về chuyển đổi số",
            max_points=Decimal(5),
            applies_to=AppliesTo.COLLECTIVE,
            position=1,
        ),
        Criterion(
            campaign=campaign,
            group=collective,
            code="CQ2",
            title="Tỷ lệ thủ tục hành chính trực tuyến toàn trình",
            max_points=Decimal(10),
            applies_to=AppliesTo.COLLECTIVE,
            target_value=Decimal(80),
            target_unit="%",
            position=2,
        ),
        Criterion(
            campaign=campaign,
            group=individual,
            code="CN1",
            title="Xếp loại hoàn thành xuất sắc nhiệm vụ",
            max_points=Decimal(20),
            applies_to=AppliesTo.INDIVIDUAL,
            position=3,
        ),
        Criterion(
            campaign=campaign,
            group=shared,
            code="CHUNG",
            title="Tham gia tuyên truyền chuyển đổi số",
            max_points=Decimal(10),
            applies_to=AppliesTo.BOTH,
            position=4,
        ),
    ]
    forms = [
        AwardForm(
            campaign=campaign,
            code="BK",
            name="Bằng khen của Chủ tịch UBND tỉnh",
            certificate_title="BẰNG KHEN",
            awarding_title="CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",
            position=1,
        ),
        AwardForm(
            campaign=campaign,
            code="TT",
            name="Tập thể lao động xuất sắc",
            certificate_title="GIẤY KHEN",
            awarding_title="GIÁM ĐỐC SỞ NỘI VỤ",
            for_individuals=False,
            position=2,
        ),
        AwardForm(
            campaign=campaign,
            code="CS",
            name="Chiến sĩ thi đua",
            certificate_title="GIẤY KHEN",
            awarding_title="GIÁM ĐỐC SỞ NỘI VỤ",
            for_collectives=False,
            position=3,
        ),
    ]
    round_ = Round(
        campaign=campaign,
        code="CDS2025",
        name="Ngày Chuyển đổi số quốc gia 10/10/2025",
        nomination_opens=date(2025, 8, 1),
        nomination_closes=date(2025, 9, 30),
        ceremony_date=date(2025, 10, 10),
        phase=RoundPhase.NOMINATING,
    )
    db.session.add_all([campaign, *criteria, *forms, round_])
    unit = make_unit("Sở Thông tin và Truyền thông", code="STTTT")
    clerk = make_user(Role.UNIT_CLERK, unit=unit, username="canbo")
    return Filing(round_, unit, clerk, {c.code: c for c in criteria}, {f.code: f for f in forms})


def xlsx(rows: list[dict[str, object]], header: list[str] | None = None) -> bytes:
    header = HEADER if header is None else header
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def count(db, model=Nomination) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def run(filing: Filing, data: bytes, unit: Unit | None = None) -> BulkResult:
    return import_nominations(filing.round, unit or filing.unit, filing.clerk, data)


def errors_of(filing: Filing, data: bytes) -> list[tuple[int, str]]:
    result = run(filing, data)
    assert (result.ok, result.created) == (False, 0)
    return [(error.row, error.message) for error in result.errors]


def _clear_g() -> None:
    for name in list(g):
        g.pop(name)


@pytest.fixture()
def outside_request() -> None:
    """Marks a test that runs as the command line would: without a request."""


@pytest.fixture(autouse=True)
def request_context(app, request):
    """Messages are built in the user's language, read from the request (Vietnamese by default)."""
    if "outside_request" in request.fixturenames:
        yield
        return
    with app.test_request_context():
        _clear_g()
        yield
        _clear_g()


def scores_of(nomination: Nomination) -> dict[str, tuple[Decimal, Decimal | None]]:
    return {
        s.criterion.code: (s.points, s.reported_value)
        for s in sorted(nomination.self_scores, key=lambda s: s.criterion.position)
    }


# --------------------------------------------------------------------------- the template


def _template(filing: Filing) -> Workbook:
    data = build_template(template_spec(filing.round, filing.unit, input_rows=500))
    return load_workbook(BytesIO(data))


def _validations(sheet) -> dict[str, tuple[str, str | None, str | None]]:
    header = {cell.column_letter: cell.value for cell in sheet[1]}
    found = {}
    for rule in sheet.data_validations.dataValidation:
        (cells,) = str(rule.sqref).split()
        first, last = cells.split(":")
        letter = first.rstrip("0123456789")
        assert (first, last) == (f"{letter}2", f"{letter}501")
        found[header[letter]] = (rule.type, rule.formula1, rule.formula2)
    return found


def test_template_has_one_header_row_and_the_dropdowns(filing):
    workbook = _template(filing)
    assert workbook.sheetnames == ["Hồ sơ", "Ví dụ", "Hướng dẫn"]
    sheet = workbook["Hồ sơ"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.max_row == 1  # one header row, no data: examples live on their own sheet
    assert _validations(sheet) == {
        "doi_tuong": ("list", '"tập thể,cá nhân"', None),
        "hinh_thuc": ("list", '"BK,TT,CS"', None),
        "gioi_tinh": ("list", '"nam,nữ"', None),
        "lanh_dao": ("list", '"lãnh đạo,nhân viên"', None),
        "so_nguoi": ("whole", "1", None),
        "ty_le_nu": ("decimal", "0", "100"),
        "diem_NT1": ("decimal", "0", "5"),
        "diem_CQ2": ("decimal", "0", "10"),
        "so_lieu_CQ2": ("decimal", "0", "100"),
        "diem_CN1": ("decimal", "0", "20"),
        "diem_CHUNG": ("decimal", "0", "10"),
    }
    letters = {cell.value: cell.column_letter for cell in sheet[1]}
    assert sheet.column_dimensions[letters["ngay_sinh"]].number_format == "dd/mm/yyyy"
    assert sheet.column_dimensions[letters["cccd"]].number_format == "@"
    assert sheet.freeze_panes == "A2"
    assert "Tập thể: tên tập thể" in sheet["C1"].comment.text


def test_template_instructions_list_every_column_criterion_and_award_form(filing):
    guide = _template(filing)["Hướng dẫn"]
    rows = [[cell.value for cell in row] for row in guide.iter_rows()]
    by_column = {row[0]: row[1:4] for row in rows if row[0] in HEADER}
    assert set(by_column) == set(HEADER)
    assert by_column["doi_tuong"] == [
        "Bắt buộc",
        "tập thể, cá nhân",
        "Đối tượng được đề nghị khen thưởng.",
    ]
    assert by_column["so_nguoi"][0] == "Bắt buộc với tập thể"
    assert by_column["ngay_sinh"][:2] == ["Bắt buộc với cá nhân", "Ngày dạng dd/mm/yyyy"]
    assert by_column["chuc_vu"][0] == "Chỉ cá nhân; không bắt buộc"
    assert by_column["hinh_thuc"][1] == "BK, TT, CS"
    assert by_column["diem_NT1"][:2] == ["Chỉ tập thể; không bắt buộc", "Số từ 0 đến 5, bước 0,5"]
    assert by_column["diem_CHUNG"][:2] == ["Không bắt buộc", "Số từ 0 đến 10, bước 0,5"]
    assert "Số liệu báo cáo của tiêu chí CQ2 (chỉ tiêu 80 %)" in by_column["so_lieu_CQ2"][2]
    criteria = {row[0]: row[1:7] for row in rows if row[0] in filing.criteria}
    assert criteria == {
        "NT1": ["Ban hành văn bản chỉ đạo về chuyển đổi số", "Tập thể", 5, None, "diem_NT1", None],
        "CQ2": [
            "Tỷ lệ thủ tục hành chính trực tuyến toàn trình",
            "Tập thể",
            10,
            "80 %",
            "diem_CQ2",
            "so_lieu_CQ2",
        ],
        "CN1": ["Xếp loại hoàn thành xuất sắc nhiệm vụ", "Cá nhân", 20, None, "diem_CN1", None],
        "CHUNG": [
            "Tham gia tuyên truyền chuyển đổi số",
            "Tập thể và cá nhân",
            10,
            None,
            "diem_CHUNG",
            None,
        ],
    }
    forms = {row[0]: row[1:3] for row in rows if row[0] in filing.forms}
    assert forms == {
        "BK": ["Bằng khen của Chủ tịch UBND tỉnh", "Tập thể và cá nhân"],
        "TT": ["Tập thể lao động xuất sắc", "Tập thể"],
        "CS": ["Chiến sĩ thi đua", "Cá nhân"],
    }
    text = " ".join(str(value) for row in rows for value in row if value)
    assert "nếu có bất kỳ dòng nào lỗi, không hồ sơ nào được lưu" in text.casefold()
    assert "Hướng dẫn nhập hồ sơ đề nghị khen thưởng từ Excel — đợt xét CDS2025" in text


def test_template_examples_are_valid_rows(db, filing):
    examples = _template(filing)["Ví dụ"]
    rows = [list(row) for row in examples.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert [row[:3] for row in rows[1:]] == [
        ["tập thể", "BK", "Phòng Chuyển đổi số"],
        ["cá nhân", "BK", "Trần Thị Mai Hoa"],
    ]
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    result = run(filing, buffer.getvalue())
    assert (result.ok, result.errors, result.created) == (True, [], 2)


def test_a_long_list_is_kept_on_a_lists_sheet():
    codes = [f"HINH-THUC-KHEN-THUONG-{n:02d}" for n in range(20)]
    spec = NominationTemplate(
        sheet_title="Hồ sơ",
        columns=[
            TemplateColumn("hinh_thuc", choices=codes),
            TemplateColumn("ghi_chu", choices=["có, nếu cần", "không"]),
            TemplateColumn("so", minimum=0),
        ],
        guide_title="Hướng dẫn",
        guide_intro=["=không phải công thức"],
        guide_header=["Cột"],
        examples_title="Ví dụ",
        examples=[["=1+1", "không", Decimal("2.5")]],
        sections=[GuideSection("Bảng", ["a"], [[date(2025, 10, 10)]])],
        lists_title="Danh mục",
        input_rows=10,
    )
    workbook = load_workbook(BytesIO(build_template(spec)))
    assert workbook.sheetnames == ["Hồ sơ", "Ví dụ", "Hướng dẫn", "Danh mục"]
    rules = {
        str(rule.sqref): (rule.type, rule.operator, rule.formula1)
        for rule in workbook["Hồ sơ"].data_validations.dataValidation
    }
    assert rules == {
        "A2:A11": ("list", None, "'Danh mục'!$A$2:$A$21"),
        "B2:B11": ("list", None, "'Danh mục'!$B$2:$B$3"),
        "C2:C11": ("decimal", "greaterThanOrEqual", "0"),
    }
    lists = workbook["Danh mục"]
    assert [cell.value for cell in lists["A"]] == ["hinh_thuc", *codes]
    assert [cell.value for cell in lists["B"]][:3] == ["ghi_chu", "có, nếu cần", "không"]
    example = workbook["Ví dụ"]
    assert (example["A2"].value, example["A2"].data_type, example["C2"].value) == ("=1+1", "s", 2.5)
    guide = workbook["Hướng dẫn"]
    assert (guide["A1"].value, guide["A1"].data_type) == ("=không phải công thức", "s")


# --------------------------------------------------------------------------- good files


def test_good_file_creates_drafts_with_their_self_scores(db, filing):
    birth = dict(INDIVIDUAL, ten="Trần Văn Hùng", gioi_tinh="Nam", ngay_sinh=datetime(1979, 3, 2))
    birth.update(lanh_dao="nhan vien", cccd=27179000123, chuc_vu="Chuyên viên")
    result = run(filing, xlsx([COLLECTIVE, INDIVIDUAL, birth]))
    assert (result.ok, result.errors, result.created, result.flagged) == (True, [], 3, 0)
    db.session.commit()
    team, person, other = db.session.scalars(sa.select(Nomination).order_by(Nomination.id))
    assert {n.state for n in (team, person, other)} == {NominationState.DRAFT}
    assert {(n.unit_id, n.created_by_id, n.round_id) for n in (team, person, other)} == {
        (filing.unit.id, filing.clerk.id, filing.round.id)
    }
    assert (
        team.kind,
        team.award_form.code,
        team.nominee_name,
        team.workplace,
        team.headcount,
        team.women_share,
        team.sex,
        team.reference,
    ) == (
        RecipientKind.COLLECTIVE,
        "BK",
        "Phòng Công nghệ thông tin",
        "Sở Thông tin và Truyền thông",
        12,
        Decimal("58.5"),
        None,
        f"CDS2025-{team.id:06d}",
    )
    assert (team.report_achievements, team.report_measures) == (
        "Hoàn thành 100% kế hoạch.\nKý số 98% văn bản đi.",
        "Số hóa hồ sơ.",
    )
    assert [(p.year, p.form, p.decision_number) for p in team.past_awards] == [
        (2023, "Giấy khen của Giám đốc Sở", "125/QĐ-SNV"),
        (2024, "Bằng khen", ""),
    ]
    assert scores_of(team) == {
        "NT1": (Decimal("4.5"), None),
        "CQ2": (Decimal("7.5"), Decimal(76)),
        "CHUNG": (Decimal(8), None),
    }
    assert (
        person.kind,
        person.sex,
        person.date_of_birth,
        person.position,
        person.staff_category,
        person.citizen_id,
        person.headcount,
    ) == (
        RecipientKind.INDIVIDUAL,
        Sex.FEMALE,
        date(1986, 5, 12),
        "Trưởng phòng",
        StaffCategory.LEADER,
        "027186001234",
        None,
    )
    assert scores_of(person) == {"CN1": (Decimal("18.5"), None)}
    # a citizen id typed as a number lost its leading zero in Excel: it is put back
    assert (other.sex, other.date_of_birth, other.staff_category, other.citizen_id) == (
        Sex.MALE,
        date(1979, 3, 2),
        StaffCategory.STAFF,
        "027179000123",
    )
    events = db.session.scalars(
        sa.select(AuditEvent.after).where(
            AuditEvent.action == "import", AuditEvent.object_type == "nominations"
        )
    ).all()
    assert events == ['{"created":3,"round":"CDS2025","unit":"STTTT"}']


def test_points_are_suggested_from_the_reported_figure(db, filing):
    row = dict(COLLECTIVE, diem_CQ2=None, so_lieu_CQ2="60%")
    assert run(filing, xlsx([row])).ok
    nomination = db.session.scalar(sa.select(Nomination))
    # 10 × 60 / 80 = 7.5
    assert scores_of(nomination)["CQ2"] == (Decimal("7.5"), Decimal(60))


def test_only_the_required_columns_are_needed_and_headers_ignore_case_and_accents(db, filing):
    header = ["Doi_Tuong", "HINH THUC", "Tên", "so_nguoi", "DIEM_nt1", ""]
    rows = [["tap the", "TT", "Tổ Một cửa", 5, 3, "ghi chú không có tiêu đề bị bỏ qua"]]
    workbook = Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    result = run(filing, buffer.getvalue())
    assert (result.ok, result.errors, result.created) == (True, [], 1)
    nomination = db.session.scalar(sa.select(Nomination))
    assert (nomination.award_form.code, nomination.headcount, scores_of(nomination)) == (
        "TT",
        5,
        {"NT1": (Decimal(3), None)},
    )


def test_numbers_typed_as_text_and_text_typed_as_numbers(db, filing):
    rows = [dict(COLLECTIVE, ten=2025, so_nguoi="15"), dict(COLLECTIVE, ten=7.0, so_nguoi=15.0)]
    assert run(filing, xlsx(rows)).ok
    assert db.session.execute(sa.select(Nomination.nominee_name, Nomination.headcount)).all() == [
        ("2025", 15),
        ("7", 15),
    ]


def test_messages_outside_a_request_are_vietnamese(app, db, filing, outside_request):
    errors = errors_of(filing, xlsx([dict(COLLECTIVE, hinh_thuc=None)]))
    assert errors == [(2, "Cột hinh_thuc: bắt buộc, không được để trống.")]


def test_text_is_normalised_and_award_forms_match_by_name(db, filing):
    decomposed = unicodedata.normalize("NFD", "  Nguyễn Thị Hồng  ")
    row = dict(INDIVIDUAL, ten=decomposed, hinh_thuc="chien si thi dua", gioi_tinh="NỮ")
    assert run(filing, xlsx([row])).ok
    nomination = db.session.scalar(sa.select(Nomination))
    assert (nomination.nominee_name, nomination.award_form.code) == ("Nguyễn Thị Hồng", "CS")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7,5", Decimal("7.5")),
        (" 7.5 ", Decimal("7.5")),
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("80%", Decimal(80)),
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),
    ],
)
def test_decimals_with_comma_or_dot(text, expected):
    assert nomination_import._decimal("so_lieu", text, percent=True) == expected


def test_same_person_twice_is_flagged_not_refused(db, filing):
    result = run(filing, xlsx([INDIVIDUAL, dict(INDIVIDUAL, cccd=None)]))
    assert (result.ok, result.created, result.flagged) == (True, 2, 1)
    first, second = db.session.scalars(sa.select(Nomination).order_by(Nomination.id))
    assert (first.duplicate_note, second.duplicate_note.startswith(first.reference)) == ("", True)


def test_two_hundred_rows_in_one_upload(db, filing):
    rows = []
    for n in range(200):
        if n % 2:
            rows.append(dict(INDIVIDUAL, ten=f"Nguyễn Văn Thử {n}", cccd=f"{27000000000 + n:012d}"))
        else:
            rows.append(dict(COLLECTIVE, ten=f"Tổ công tác số {n}"))
    result = run(filing, xlsx(rows))
    assert (result.ok, result.errors, result.created, result.flagged) == (True, [], 200, 0)
    db.session.commit()
    assert count(db) == 200
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Nomination.unit_id == filing.unit.id, Nomination.state == NominationState.DRAFT
            )
        )
        == 200
    )
    assert count(db, SelfScore) == 100 * 3 + 100 * 1


# --------------------------------------------------------------------------- bad rows: nothing saved


def test_one_bad_row_saves_nothing(db, filing):
    db.session.commit()
    before = count(db)
    trail = count(db, AuditEvent)
    rows = [COLLECTIVE, INDIVIDUAL, dict(INDIVIDUAL, ten="Lê Văn Sai", ngay_sinh="30/02/1990")]
    assert errors_of(filing, xlsx(rows)) == [
        (
            4,
            "Cột ngay_sinh: “30/02/1990” không phải là ngày hợp lệ (nhập theo dạng dd/mm/yyyy).",
        )
    ]
    db.session.commit()
    assert count(db) == before == 0
    assert count(db, AuditEvent) == trail  # not even the audit rows of the rolled-back drafts


@pytest.mark.parametrize(
    ("base", "change", "expected"),
    [
        (COLLECTIVE, {"so_nguoi": "mười"}, "Cột so_nguoi: “mười” không phải là số nguyên."),
        (COLLECTIVE, {"so_nguoi": 2.5}, "Cột so_nguoi: “2.5” không phải là số nguyên."),
        (COLLECTIVE, {"so_nguoi": None}, "Cột so_nguoi: bắt buộc với tập thể."),
        (COLLECTIVE, {"so_nguoi": 0}, "Cột so_nguoi: Số người của tập thể phải từ 1 đến 1000000."),
        (COLLECTIVE, {"ty_le_nu": 120}, "Cột ty_le_nu: Tỷ lệ nữ phải từ 0 đến 100%."),
        (
            COLLECTIVE,
            {"diem_NT1": "năm"},
            "Cột diem_NT1: “năm” không phải là số (ví dụ 7,5 hoặc 7.5).",
        ),
        (
            COLLECTIVE,
            {"diem_NT1": 6},
            "Cột diem_NT1: Điểm tự chấm tiêu chí NT1 phải từ 0 đến 5, bước 0,5.",
        ),
        (
            COLLECTIVE,
            {"diem_NT1": "2,3"},
            "Cột diem_NT1: Điểm tự chấm tiêu chí NT1 phải từ 0 đến 5, bước 0,5.",
        ),
        (
            COLLECTIVE,
            {"so_lieu_CQ2": 150},
            "Cột so_lieu_CQ2: Số liệu của tiêu chí CQ2 phải từ 0 đến 100.",
        ),
        (
            COLLECTIVE,
            {"diem_CN1": 10},
            "Cột diem_CN1 chỉ dùng cho cá nhân: để trống ở dòng tập thể.",
        ),
        (
            COLLECTIVE,
            {"gioi_tinh": "nam"},
            "Cột gioi_tinh chỉ dùng cho cá nhân: để trống ở dòng tập thể.",
        ),
        (
            INDIVIDUAL,
            {"so_nguoi": 3},
            "Cột so_nguoi chỉ dùng cho tập thể: để trống ở dòng cá nhân.",
        ),
        (
            INDIVIDUAL,
            {"diem_NT1": 3},
            "Cột diem_NT1 chỉ dùng cho tập thể: để trống ở dòng cá nhân.",
        ),
        (
            COLLECTIVE,
            {"hinh_thuc": "XYZ"},
            "Cột hinh_thuc: hình thức khen thưởng “XYZ” không có trong phong trào của đợt xét. "
            "Dùng một trong các mã: BK, TT, CS.",
        ),
        (
            COLLECTIVE,
            {"hinh_thuc": "CS"},
            "Cột hinh_thuc: Hình thức khen thưởng này không dành cho đối tượng đã chọn trong "
            "đợt xét.",
        ),
        (
            COLLECTIVE,
            {"doi_tuong": "hộ gia đình"},
            "Cột doi_tuong: “hộ gia đình” không hợp lệ. Chọn một trong: tập thể, cá nhân.",
        ),
        (COLLECTIVE, {"doi_tuong": None}, "Cột doi_tuong: bắt buộc, không được để trống."),
        (COLLECTIVE, {"ten": "  "}, "Cột ten: bắt buộc, không được để trống."),
        (COLLECTIVE, {"ten": True}, "Cột ten: phải là văn bản."),
        (COLLECTIVE, {"ten": "Đ" * 256}, "Cột ten: Tối đa 255 ký tự."),
        (COLLECTIVE, {"don_vi_cong_tac": "Đ" * 256}, "Cột don_vi_cong_tac: Tối đa 255 ký tự."),
        (INDIVIDUAL, {"chuc_vu": "Đ" * 256}, "Cột chuc_vu: Tối đa 255 ký tự."),
        (
            COLLECTIVE,
            {"khen_thuong_da_nhan": "năm ngoái được khen"},
            "Cột khen_thuong_da_nhan: “năm ngoái được khen” không đúng dạng “năm | hình thức | "
            "số quyết định”. Mỗi khen thưởng cách nhau bởi dấu chấm phẩy hoặc xuống dòng.",
        ),
        (
            COLLECTIVE,
            {"khen_thuong_da_nhan": "1900 | Giấy khen"},
            "Cột khen_thuong_da_nhan: Khen thưởng đã nhận: năm không hợp lệ hoặc thiếu hình thức.",
        ),
        (
            COLLECTIVE,
            {"khen_thuong_da_nhan": "2020 | " + "x" * 256},
            "Cột khen_thuong_da_nhan: Khen thưởng đã nhận: hình thức hoặc số quyết định quá dài.",
        ),
        (
            INDIVIDUAL,
            {"gioi_tinh": "khác"},
            "Cột gioi_tinh: “khác” không hợp lệ. Chọn một trong: nam, nữ.",
        ),
        (INDIVIDUAL, {"gioi_tinh": None}, "Cột gioi_tinh: bắt buộc với cá nhân."),
        (INDIVIDUAL, {"ngay_sinh": None}, "Cột ngay_sinh: bắt buộc với cá nhân."),
        (
            INDIVIDUAL,
            {"ngay_sinh": 31123},
            "Cột ngay_sinh: “31123” không phải là ngày hợp lệ (nhập theo dạng dd/mm/yyyy).",
        ),
        (
            INDIVIDUAL,
            {"ngay_sinh": "01/01/2015"},
            "Cột ngay_sinh: Ngày sinh không hợp lệ (tuổi phải từ 16 đến 90).",
        ),
        (
            INDIVIDUAL,
            {"lanh_dao": "cán bộ"},
            "Cột lanh_dao: “cán bộ” không hợp lệ. Chọn một trong: lãnh đạo, nhân viên.",
        ),
        (INDIVIDUAL, {"cccd": "12345"}, "Cột cccd: Số CCCD/định danh cá nhân gồm đúng 12 chữ số."),
        (INDIVIDUAL, {"cccd": 12.5}, "Cột cccd: “12.5” không phải là số nguyên."),
    ],
)
def test_bad_value_is_reported_on_its_row_and_nothing_saved(db, filing, base, change, expected):
    errors = errors_of(filing, xlsx([COLLECTIVE, dict(base, **change)]))
    assert errors == [(3, expected)]
    assert count(db) == 0


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("ten", '=HYPERLINK("http://x","a")'),
        ("trich_yeu", "+1"),
        ("bao_cao_thanh_tich", "-2+3"),
        ("bao_cao_bien_phap", "@SUM(A1)"),
        ("don_vi_cong_tac", " =1+1"),
        ("diem_NT1", "=5"),
        ("hinh_thuc", "=A1"),
    ],
)
def test_formula_cell_is_refused(db, filing, column, text):
    errors = errors_of(filing, xlsx([dict(COLLECTIVE, **{column: text})]))
    first = text.strip()[0]
    assert errors[0] == (
        2,
        f"Cột {column}: nội dung bắt đầu bằng “{first}” có thể là công thức nên bị từ chối "
        "(phòng chống chèn mã). Hãy nhập giá trị thuần văn bản, không bắt đầu bằng = + - @.",
    )
    assert count(db) == 0


def test_every_bad_row_is_reported(db, filing):
    rows = [
        dict(COLLECTIVE, so_nguoi=None, diem_NT1=9),  # two errors in one row: both reported
        INDIVIDUAL,
        {},  # a blank row is skipped
        dict(INDIVIDUAL, hinh_thuc="TT"),  # refused by the nomination service
        dict(COLLECTIVE, ten="=1"),
    ]
    errors = errors_of(filing, xlsx(rows))
    assert [row for row, _ in errors] == [2, 5, 6]
    assert errors[0][1] == "Cột so_nguoi: bắt buộc với tập thể."
    assert errors[1][1] == (
        "Cột hinh_thuc: Hình thức khen thưởng này không dành cho đối tượng đã chọn trong đợt xét."
    )
    assert count(db) == 0


def test_header_problems_are_file_level(db, filing):
    assert errors_of(filing, xlsx([{"ten": "X"}], header=["ten", "ghi_chu"])) == [
        (
            1,
            "Cột “ghi_chu” không được hỗ trợ. Các cột hợp lệ: " + ", ".join(HEADER) + ".",
        ),
        (1, "Thiếu cột bắt buộc: doi_tuong, hinh_thuc. Hãy dùng dòng tiêu đề của mẫu tải về."),
    ]
    header = ["doi_tuong", "hinh_thuc", "ten", "Diem_NT1", "diem_nt1"]
    assert errors_of(filing, xlsx([], header=header)) == [(1, "Cột “diem_NT1” xuất hiện hai lần.")]
    assert errors_of(filing, xlsx([])) == [(2, "Tệp không có dòng dữ liệu nào.")]


def _bomb() -> bytes:
    buffer = BytesIO(xlsx([COLLECTIVE]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", bytes(60 * 1024 * 1024))
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_parsing(db, filing):
    data = _bomb()
    assert len(data) < 200_000
    errors = errors_of(filing, data)
    assert len(errors) == 1
    assert errors[0][0] == 0
    assert "vượt giới hạn 50 MB (có thể là tệp nén độc hại)" in errors[0][1]
    assert count(db) == 0


@pytest.mark.parametrize(
    "data",
    [b"not a zip at all", b"PK\x03\x04broken", b"", b"%PDF-1.4\n%%EOF\n"],
    ids=["text", "truncated", "empty", "pdf"],
)
def test_not_a_workbook_is_refused(db, filing, data):
    assert errors_of(filing, data) == [
        (
            0,
            "Tệp không phải là tệp Excel .xlsx hợp lệ hoặc đã bị hỏng. Hãy dùng mẫu tải về và lưu "
            "dưới dạng Excel Workbook (.xlsx).",
        )
    ]


def test_row_limit_comes_from_config(app, db, filing):
    old = app.config["IMPORT_MAX_ROWS"]
    app.config["IMPORT_MAX_ROWS"] = 2
    try:
        errors = errors_of(filing, xlsx([COLLECTIVE, INDIVIDUAL, COLLECTIVE]))
    finally:
        app.config["IMPORT_MAX_ROWS"] = old
    assert errors == [
        (0, "Tệp có quá nhiều dòng (tối đa 2 dòng dữ liệu). Hãy chia thành nhiều tệp.")
    ]
    assert count(db) == 0


def test_a_round_not_open_for_filing_takes_nothing(db, filing):
    filing.round.phase = RoundPhase.REVIEWING
    assert errors_of(filing, xlsx([COLLECTIVE])) == [
        (0, "Đợt xét CDS2025 không ở giai đoạn nhận hồ sơ nên không thể tạo hồ sơ từ tệp.")
    ]
    assert count(db) == 0


def test_a_database_refusal_is_reported_on_its_row(db, filing, monkeypatch):
    """PostgreSQL refuses values SQLite keeps (an integer beyond 32 bits, say): the row's savepoint is
    rolled back, the row reported, the other rows still checked, and nothing saved."""
    real = nomination_import.create_nomination

    def create(round_, unit, actor, data: NominationData):
        if data.nominee_name == "Quá lớn":
            db.session.execute(sa.text("SELECT * FROM bang_khong_ton_tai"))
        return real(round_, unit, actor, data)

    monkeypatch.setattr(nomination_import, "create_nomination", create)
    errors = errors_of(filing, xlsx([COLLECTIVE, dict(COLLECTIVE, ten="Quá lớn"), INDIVIDUAL]))
    assert errors == [
        (
            3,
            "Dòng này có giá trị vượt giới hạn lưu trữ của hệ thống (số quá lớn hoặc văn bản quá "
            "dài). Hãy kiểm tra lại các ô của dòng.",
        )
    ]
    assert count(db) == 0


def test_an_unexpected_failure_rolls_the_import_back_and_propagates(db, filing, monkeypatch):
    real = nomination_import.create_nomination
    calls = []

    def create(round_, unit, actor, data: NominationData):
        calls.append(data.nominee_name)
        if len(calls) == 2:
            raise RuntimeError("hỏng")
        return real(round_, unit, actor, data)

    monkeypatch.setattr(nomination_import, "create_nomination", create)
    with pytest.raises(RuntimeError):
        run(filing, xlsx([COLLECTIVE, INDIVIDUAL]))
    assert count(db) == 0
    db.session.commit()  # the session is still usable: only the import's savepoint was undone
    assert count(db) == 0


def test_the_callers_own_work_survives_a_failed_import(db, filing, make_unit):
    """Only the import's savepoint is rolled back, not what the caller flushed before."""
    pending = Unit(code="MOI", name="Đơn vị mới", kind=filing.unit.kind)
    db.session.add(pending)
    db.session.flush()
    assert not run(filing, xlsx([dict(COLLECTIVE, so_nguoi=None), INDIVIDUAL])).ok
    db.session.commit()
    assert db.session.scalar(sa.select(Unit.name).where(Unit.code == "MOI")) == "Đơn vị mới"
    assert count(db) == 0


def test_another_units_nominations_are_never_touched(db, filing, make_unit, make_user):
    other = make_unit("Sở Y tế", code="SYT")
    other_clerk = make_user(Role.UNIT_CLERK, unit=other)
    theirs = create_nomination(
        filing.round,
        other,
        other_clerk,
        NominationData(
            kind=RecipientKind.COLLECTIVE,
            award_form_id=filing.forms["BK"].id,
            nominee_name="Phòng Công nghệ thông tin",  # the same name as a row of the file
            headcount=7,
        ),
    )
    db.session.commit()
    snapshot = (theirs.version, theirs.nominee_name, theirs.headcount, theirs.duplicate_note)

    assert not run(filing, xlsx([COLLECTIVE, dict(INDIVIDUAL, so_nguoi=1)])).ok
    result = run(filing, xlsx([COLLECTIVE, INDIVIDUAL]))
    assert (result.ok, result.created, result.flagged) == (True, 2, 1)
    db.session.commit()
    db.session.expire_all()
    theirs = db.session.get(Nomination, theirs.id)
    assert (
        theirs.version,
        theirs.nominee_name,
        theirs.headcount,
        theirs.duplicate_note,
    ) == snapshot
    units = db.session.execute(
        sa.select(Nomination.unit_id, sa.func.count()).group_by(Nomination.unit_id)
    ).all()
    assert dict(units) == {other.id: 1, filing.unit.id: 2}


def test_row_error_is_shared_with_the_unit_import():
    assert BulkResult(ok=False, errors=[RowError(2, "x")]).errors == [RowError(2, "x")]


def test_report_bullets_are_prose_not_formulas(db, filing):
    bullets = "- Tham mưu ban hành kế hoạch chuyển đổi số;\n- Số hóa 100% hồ sơ."
    result = run(
        filing,
        xlsx([dict(COLLECTIVE, bao_cao_thanh_tich=bullets, bao_cao_bien_phap="+ Sáng kiến A")]),
    )
    assert (result.ok, result.created, result.errors) == (True, 1, [])
    assert count(db) == 1
