"""Bulk filing: a unit's nominations from an Excel workbook (the template downloadable per round).

All or nothing: every row is read and checked, then each good row is created as a draft through
``awards.nominations.create_nomination`` (the same validation as the nomination form) inside one
savepoint; when any row has an error the savepoint is rolled back and nothing is saved. The workbook is
read through ``exports.excel.read_sheet``: zip bombs and oversized sheets are refused before any XML is
parsed, XML attacks by openpyxl itself (``defusedxml``).

The file's columns have stable ASCII names (``COLUMNS`` plus ``diem_<code>`` and ``so_lieu_<code>`` per
criterion of the campaign); values are accepted in Vietnamese with or without accents.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from awards import audit
from awards.extensions import db
from awards.labels import APPLIES_TO_LABELS
from awards.nominations import (
    NominationData,
    NominationError,
    PastAwardInput,
    ScoreInput,
    create_nomination,
)
from awards.permissions import UNIT_ROLES
from awards.sheets import RowError, file_error_message, map_headers
from awards.templating import format_points
from awards.text import clean, fold
from exports.excel import (
    ExcelReadError,
    is_formula_like,
    read_sheet,
)
from exports.nomination_template import GuideSection, NominationTemplate, TemplateColumn
from models import (
    AppliesTo,
    AwardForm,
    Criterion,
    RecipientKind,
    Round,
    RoundPhase,
    Sex,
    StaffCategory,
    Unit,
    User,
)

KIND = "doi_tuong"
AWARD_FORM = "hinh_thuc"
NAME = "ten"
WORKPLACE = "don_vi_cong_tac"
HEADCOUNT = "so_nguoi"
WOMEN_SHARE = "ty_le_nu"
SEX = "gioi_tinh"
BIRTH_DATE = "ngay_sinh"
POSITION = "chuc_vu"
CATEGORY = "lanh_dao"
CITIZEN_ID = "cccd"
CITATION = "trich_yeu"
PROFILE = "bao_cao_dac_diem"
ACHIEVEMENTS = "bao_cao_thanh_tich"
MEASURES = "bao_cao_bien_phap"
PAST_AWARDS = "khen_thuong_da_nhan"
COLUMNS = (
    KIND,
    AWARD_FORM,
    NAME,
    WORKPLACE,
    HEADCOUNT,
    WOMEN_SHARE,
    SEX,
    BIRTH_DATE,
    POSITION,
    CATEGORY,
    CITIZEN_ID,
    CITATION,
    PROFILE,
    ACHIEVEMENTS,
    MEASURES,
    PAST_AWARDS,
)
REQUIRED_COLUMNS = (KIND, AWARD_FORM, NAME)
COLLECTIVE_ONLY = (HEADCOUNT, WOMEN_SHARE)
INDIVIDUAL_ONLY = (SEX, BIRTH_DATE, POSITION, CATEGORY, CITIZEN_ID)
NAME_MAX = 255  # nominee_name, workplace, position: String(255)
CITIZEN_ID_LENGTH = 12

# The values offered by the dropdowns: part of the file format, the same in every interface language.
KIND_VALUES = {RecipientKind.COLLECTIVE: "tập thể", RecipientKind.INDIVIDUAL: "cá nhân"}
SEX_VALUES = {Sex.MALE: "nam", Sex.FEMALE: "nữ"}
CATEGORY_VALUES = {StaffCategory.LEADER: "lãnh đạo", StaffCategory.STAFF: "nhân viên"}
# Other spellings accepted (compared accent- and case-insensitively).
_KIND_ALIASES = {"collective": RecipientKind.COLLECTIVE, "individual": RecipientKind.INDIVIDUAL}
_SEX_ALIASES = {"male": Sex.MALE, "female": Sex.FEMALE}
_CATEGORY_ALIASES = {
    "lanh dao, quan ly": StaffCategory.LEADER,
    "lanh dao quan ly": StaffCategory.LEADER,
    "quan ly": StaffCategory.LEADER,
    "leader": StaffCategory.LEADER,
    "staff": StaffCategory.STAFF,
}

_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
_PAST_SEPARATORS = re.compile(r"[;\n]")


def score_column(criterion: Criterion) -> str:
    return f"diem_{criterion.code}"


def value_column(criterion: Criterion) -> str:
    return f"so_lieu_{criterion.code}"


@dataclass
class BulkResult:
    """What an import did: with ``ok`` False, every error found and nothing saved."""

    ok: bool
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    flagged: int = 0  # created drafts flagged as possible duplicates (the board decides)


@dataclass
class _Row:
    number: int
    data: NominationData


@dataclass(frozen=True)
class _Catalogue:
    """What the round's campaign offers: award forms by accepted spelling, criteria by column."""

    forms: dict[str, AwardForm]
    form_codes: list[str]
    scores: dict[str, Criterion]
    values: dict[str, Criterion]
    columns: list[str]  # every column a file may have, in the template's order


def can_file_in_bulk(user: User) -> bool:
    """Whether ``user`` may file nominations for their unit from Excel (clerks and heads of a unit)."""
    return user.has_role(*UNIT_ROLES) and user.unit_id is not None


def campaign_criteria(round_: Round) -> list[Criterion]:
    """Every criterion of the round's campaign, collective and individual, in display order."""
    return list(
        db.session.scalars(
            sa.select(Criterion)
            .where(Criterion.campaign_id == round_.campaign_id)
            .order_by(Criterion.position, Criterion.id)
        )
    )


def campaign_award_forms(round_: Round) -> list[AwardForm]:
    return list(
        db.session.scalars(
            sa.select(AwardForm)
            .where(AwardForm.campaign_id == round_.campaign_id)
            .order_by(AwardForm.position, AwardForm.id)
        )
    )


def _catalogue(round_: Round) -> _Catalogue:
    forms: dict[str, AwardForm] = {}
    award_forms = campaign_award_forms(round_)
    for form in award_forms:  # codes win over names when a name happens to equal another's code
        forms.setdefault(fold(form.name), form)
    for form in award_forms:
        forms[fold(form.code)] = form
    scores: dict[str, Criterion] = {}
    values: dict[str, Criterion] = {}
    columns = list(COLUMNS)
    for criterion in campaign_criteria(round_):
        scores[score_column(criterion)] = criterion
        columns.append(score_column(criterion))
        if criterion.is_measurable:
            values[value_column(criterion)] = criterion
            columns.append(value_column(criterion))
    return _Catalogue(forms, [form.code for form in award_forms], scores, values, columns)


# --------------------------------------------------------------------------- cells


class _CellError(ValueError):
    pass


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# Reports are written with "- " and "+ " bullets; such prose cannot be a formula (Excel needs "=" for
# that), and every export neutralises it anyway. Elsewhere a leading - or + is refused.
_PROSE_COLUMNS = frozenset({CITATION, PROFILE, ACHIEVEMENTS, MEASURES})


def _refuse_formula(column: str, value: object) -> None:
    if column in _PROSE_COLUMNS and isinstance(value, str) and clean(value)[:2] in ("- ", "+ "):
        return
    if isinstance(value, str) and (is_formula_like(value) or is_formula_like(clean(value))):
        first = clean(value)[:1] or "?"
        raise _CellError(
            str(
                _l(
                    "Cột %(col)s: nội dung bắt đầu bằng “%(ch)s” có thể là công thức nên bị từ chối "
                    "(phòng chống chèn mã). Hãy nhập giá trị thuần văn bản, không bắt đầu bằng = + - @.",
                    col=column,
                    ch=first,
                )
            )
        )


def _shown(value: object) -> str:
    return str(value)[:40]


def _text(column: str, value: object) -> str:
    if _blank(value):
        return ""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise _CellError(str(_l("Cột %(col)s: phải là văn bản.", col=column)))


def _decimal(column: str, value: object, *, percent: bool = False) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    if isinstance(value, str):
        text = "".join(clean(value).split())
        if percent:
            text = text.removesuffix("%")
        if "," in text and "." in text:  # the last separator is the decimal one: 1.234,5 or 1,234.5
            thousands = "." if text.rfind(",") > text.rfind(".") else ","
            text = text.replace(thousands, "")
        text = text.replace(",", ".")
        if _NUMBER_RE.match(text):
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
                pass
    raise _CellError(
        str(
            _l(
                "Cột %(col)s: “%(value)s” không phải là số (ví dụ 7,5 hoặc 7.5).",
                col=column,
                value=_shown(value),
            )
        )
    )


def _whole(column: str, value: object) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and clean(value).isdigit():
        return int(clean(value))
    raise _CellError(
        str(
            _l(
                "Cột %(col)s: “%(value)s” không phải là số nguyên.",
                col=column,
                value=_shown(value),
            )
        )
    )


def _date(column: str, value: object) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for pattern in _DATE_FORMATS:
            try:
                return datetime.strptime(clean(value), pattern).date()
            except ValueError:
                continue
    raise _CellError(
        str(
            _l(
                "Cột %(col)s: “%(value)s” không phải là ngày hợp lệ (nhập theo dạng dd/mm/yyyy).",
                col=column,
                value=_shown(value),
            )
        )
    )


def _choice(column: str, value: object, accepted: dict[str, Any], shown: list[str]) -> Any:
    text = _text(column, value)
    if not text:
        return None
    found = accepted.get(fold(text))
    if found is None:
        raise _CellError(
            str(
                _l(
                    "Cột %(col)s: “%(value)s” không hợp lệ. Chọn một trong: %(allowed)s.",
                    col=column,
                    value=_shown(text),
                    allowed=", ".join(shown),
                )
            )
        )
    return found


def _accepting(values: dict[Any, str], aliases: dict[str, Any]) -> dict[str, Any]:
    accepted = {fold(label): member for member, label in values.items()}
    accepted.update({fold(member.value): member for member in values})
    accepted.update(aliases)
    return accepted


def _citizen_id(column: str, value: object) -> str:
    # A 12-digit id typed into a number cell loses its leading zeros (027… → 27…): put them back.
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = _whole(column, value)
        if number is not None and 0 < number < 10**CITIZEN_ID_LENGTH:
            return f"{number:0{CITIZEN_ID_LENGTH}d}"
    return _text(column, value)


def _past_awards(column: str, value: object) -> list[PastAwardInput]:
    text = _text(column, value)
    awards: list[PastAwardInput] = []
    for entry in _PAST_SEPARATORS.split(text):
        if not entry.strip():
            continue
        parts = [clean(part) for part in entry.split("|")]
        if not 2 <= len(parts) <= 3 or not parts[0].isdigit() or not parts[1]:
            raise _CellError(
                str(
                    _l(
                        "Cột %(col)s: “%(value)s” không đúng dạng “năm | hình thức | số quyết "
                        "định”. Mỗi khen thưởng cách nhau bởi dấu chấm phẩy hoặc xuống dòng.",
                        col=column,
                        value=_shown(clean(entry)),
                    )
                )
            )
        awards.append(PastAwardInput(int(parts[0]), parts[1], parts[2] if len(parts) == 3 else ""))
    return awards


# --------------------------------------------------------------------------- rows


_KINDS = _accepting(KIND_VALUES, _KIND_ALIASES)
_SEXES = _accepting(SEX_VALUES, _SEX_ALIASES)
_CATEGORIES = _accepting(CATEGORY_VALUES, _CATEGORY_ALIASES)


def _parse_row(
    cells: dict[str, object], catalogue: _Catalogue
) -> tuple[NominationData | None, list[str]]:
    problems: list[str] = []
    failed: set[str] = set()

    def read(column: str, reader, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
        try:
            _refuse_formula(column, cells.get(column))
            return reader(column, cells.get(column), *args, **kwargs)
        except _CellError as error:
            problems.append(str(error))
            failed.add(column)
            return None

    kind = read(KIND, _choice, _KINDS, list(KIND_VALUES.values()))
    form = read(AWARD_FORM, _award_form, catalogue)
    name = read(NAME, _text)
    values: dict[str, Any] = {
        WORKPLACE: read(WORKPLACE, _text),
        HEADCOUNT: read(HEADCOUNT, _whole),
        WOMEN_SHARE: read(WOMEN_SHARE, _decimal, percent=True),
        SEX: read(SEX, _choice, _SEXES, list(SEX_VALUES.values())),
        BIRTH_DATE: read(BIRTH_DATE, _date),
        POSITION: read(POSITION, _text),
        CATEGORY: read(CATEGORY, _choice, _CATEGORIES, list(CATEGORY_VALUES.values())),
        CITIZEN_ID: read(CITIZEN_ID, _citizen_id),
        CITATION: read(CITATION, _text),
        PROFILE: read(PROFILE, _text),
        ACHIEVEMENTS: read(ACHIEVEMENTS, _text),
        MEASURES: read(MEASURES, _text),
        PAST_AWARDS: read(PAST_AWARDS, _past_awards),
    }
    points = {col: read(col, _decimal) for col in catalogue.scores}
    reported = {
        col: read(col, _decimal, percent=criterion.target_unit == "%")
        for col, criterion in catalogue.values.items()
    }

    for column, value in ((KIND, kind), (AWARD_FORM, form), (NAME, name)):
        if column not in failed and not value:
            problems.append(str(_l("Cột %(col)s: bắt buộc, không được để trống.", col=column)))
    if kind is not None:
        problems.extend(_kind_problems(kind, cells, failed, catalogue))
    if problems or kind is None or form is None or not name:
        return None, problems

    scores = []
    for column, criterion in catalogue.scores.items():
        value = reported.get(value_column(criterion))
        score = points[column]
        if score is None and value is not None:
            score = criterion.suggested_points(value)  # DESIGN.md §4: from the reported figure
        if score is not None and criterion.applies_to.includes(kind):
            scores.append(ScoreInput(criterion.id, score, value))
    individual = kind is RecipientKind.INDIVIDUAL
    data = NominationData(
        kind=kind,
        award_form_id=form.id,
        nominee_name=name,
        citation=values[CITATION],
        report_profile=values[PROFILE],
        report_achievements=values[ACHIEVEMENTS],
        report_measures=values[MEASURES],
        headcount=None if individual else values[HEADCOUNT],
        women_share=None if individual else values[WOMEN_SHARE],
        sex=values[SEX] if individual else None,
        date_of_birth=values[BIRTH_DATE] if individual else None,
        position=values[POSITION] if individual else "",
        staff_category=values[CATEGORY] if individual else None,
        workplace=values[WORKPLACE],
        citizen_id=(values[CITIZEN_ID] or None) if individual else None,
        scores=scores,
        past_awards=values[PAST_AWARDS] or [],
    )
    return data, problems


def _award_form(column: str, value: object, catalogue: _Catalogue) -> AwardForm | None:
    text = _text(column, value)
    if not text:
        return None
    form = catalogue.forms.get(fold(text))
    if form is None:
        raise _CellError(
            str(
                _l(
                    "Cột %(col)s: hình thức khen thưởng “%(value)s” không có trong phong trào của "
                    "đợt xét. Dùng một trong các mã: %(allowed)s.",
                    col=column,
                    value=_shown(text),
                    allowed=", ".join(catalogue.form_codes),
                )
            )
        )
    return form


def _kind_problems(
    kind: RecipientKind, cells: dict[str, object], failed: set[str], catalogue: _Catalogue
) -> list[str]:
    """Required and forbidden cells for the row's kind: a value in a column of the other kind would
    be dropped silently, so it is an error."""
    problems: list[str] = []
    collective = kind is RecipientKind.COLLECTIVE
    required = (HEADCOUNT,) if collective else (SEX, BIRTH_DATE)
    foreign = list(INDIVIDUAL_ONLY if collective else COLLECTIVE_ONLY)
    for column, criterion in [*catalogue.scores.items(), *catalogue.values.items()]:
        if not criterion.applies_to.includes(kind):
            foreign.append(column)
    for column in required:
        if column in failed or not _blank(cells.get(column)):
            continue
        if collective:
            problems.append(str(_l("Cột %(col)s: bắt buộc với tập thể.", col=column)))
        else:
            problems.append(str(_l("Cột %(col)s: bắt buộc với cá nhân.", col=column)))
    for column in foreign:
        if column in failed or _blank(cells.get(column)):
            continue
        if collective:
            problems.append(
                str(_l("Cột %(col)s chỉ dùng cho cá nhân: để trống ở dòng tập thể.", col=column))
            )
        else:
            problems.append(
                str(_l("Cột %(col)s chỉ dùng cho tập thể: để trống ở dòng cá nhân.", col=column))
            )
    return problems


# --------------------------------------------------------------------------- the whole file


def _file_error(error: ExcelReadError) -> BulkResult:
    return BulkResult(ok=False, errors=[RowError(0, file_error_message(error))])


def _header_errors(
    headers: list[str], catalogue: _Catalogue
) -> tuple[dict[str, int], list[RowError]]:
    return map_headers(headers, catalogue.columns, REQUIRED_COLUMNS)


def _parse_rows(
    rows: Iterator[tuple[int, tuple[object, ...]]], index: dict[str, int], catalogue: _Catalogue
) -> tuple[list[_Row], list[RowError]]:
    parsed: list[_Row] = []
    errors: list[RowError] = []
    for number, values in rows:
        if all(_blank(value) for value in values):
            continue
        cells = {col: values[pos] if pos < len(values) else None for col, pos in index.items()}
        data, problems = _parse_row(cells, catalogue)
        errors.extend(RowError(number, problem) for problem in problems)
        if data is not None:
            parsed.append(_Row(number, data))
    return parsed, errors


def _service_column(field_name: str | None, catalogue: _Catalogue) -> str | None:
    """The file column behind a ``NominationError.field`` of the nomination services."""
    simple = {
        "award_form_id": AWARD_FORM,
        "nominee_name": NAME,
        "workplace": WORKPLACE,
        "position": POSITION,
        "headcount": HEADCOUNT,
        "women_share": WOMEN_SHARE,
        "sex": SEX,
        "date_of_birth": BIRTH_DATE,
        "citizen_id": CITIZEN_ID,
        "past_awards": PAST_AWARDS,
    }
    if field_name in simple:
        return simple[field_name]
    for column, criterion in catalogue.scores.items():
        if field_name == f"score_{criterion.id}":
            return column
    for column, criterion in catalogue.values.items():
        if field_name == f"value_{criterion.id}":
            return column
    return None


def _create_all(
    round_: Round, unit: Unit, actor: User, rows: list[_Row], catalogue: _Catalogue
) -> tuple[int, int, list[RowError]]:
    """Create every row as a draft, each in its own savepoint so that one refusal (or a value the
    database cannot hold) is reported against its row and the others are still checked."""
    errors: list[RowError] = []
    created = flagged = 0
    for row in rows:
        try:
            with db.session.begin_nested():
                nomination = create_nomination(round_, unit, actor, row.data)
        except NominationError as error:
            column = _service_column(error.field, catalogue)
            message = str(error)
            if column is not None:
                message = str(_l("Cột %(col)s: %(message)s", col=column, message=message))
            errors.append(RowError(row.number, message))
        except sa.exc.DBAPIError:
            errors.append(
                RowError(
                    row.number,
                    str(
                        _l(
                            "Dòng này có giá trị vượt giới hạn lưu trữ của hệ thống (số quá lớn "
                            "hoặc văn bản quá dài). Hãy kiểm tra lại các ô của dòng."
                        )
                    ),
                )
            )
        else:
            created += 1
            flagged += bool(nomination.duplicate_note)
    return created, flagged, errors


@contextmanager
def _message_locale() -> Iterator[None]:
    """Outside a request messages use the default locale (the app's locale selector reads the request)."""
    if has_request_context():
        yield
    else:
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
            yield


def import_nominations(round_: Round, unit: Unit, actor: User, data: bytes) -> BulkResult:
    """Check every row of the workbook ``data`` and create the nominations as drafts of ``unit`` in
    ``round_``, filed by ``actor`` — all of them, or none.

    Returns a ``BulkResult``: with ``ok`` False and every error found (Vietnamese, by Excel row; row 0
    for the file as a whole, row 1 for the header) nothing was written; with ``ok`` True the drafts are
    flushed and an ``import`` audit event recorded. The caller commits (or rolls back). The caller also
    checks that ``actor`` may file for ``unit`` (``can_file_in_bulk``).
    """
    with _message_locale():
        return _import(round_, unit, actor, data)


def _import(round_: Round, unit: Unit, actor: User, data: bytes) -> BulkResult:
    if round_.phase is not RoundPhase.NOMINATING:
        return BulkResult(ok=False, errors=[RowError(0, str(closed_message(round_)))])
    config = current_app.config
    catalogue = _catalogue(round_)
    try:
        headers, body = read_sheet(
            data,
            max_uncompressed=config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
            max_rows=config["IMPORT_MAX_ROWS"],
        )
        index, errors = _header_errors(headers, catalogue)
        if errors:
            return BulkResult(ok=False, errors=errors)
        rows, errors = _parse_rows(body, index, catalogue)
    except ExcelReadError as error:
        return _file_error(error)
    if not rows and not errors:
        return BulkResult(ok=False, errors=[RowError(2, str(_l("Tệp không có dòng dữ liệu nào.")))])

    savepoint = db.session.begin_nested()
    try:
        created, flagged, create_errors = _create_all(round_, unit, actor, rows, catalogue)
    except BaseException:
        savepoint.rollback()
        raise
    errors.extend(create_errors)
    if errors:
        savepoint.rollback()
        errors.sort(key=lambda error: error.row)
        return BulkResult(ok=False, errors=errors)
    savepoint.commit()
    audit.record(
        "import",
        "nominations",
        None,
        after={"round": round_.code, "unit": unit.code, "created": created},
    )
    return BulkResult(ok=True, created=created, flagged=flagged)


def closed_message(round_: Round) -> str:
    return str(
        _l(
            "Đợt xét %(code)s không ở giai đoạn nhận hồ sơ nên không thể tạo hồ sơ từ tệp.",
            code=round_.code,
        )
    )


# --------------------------------------------------------------------------- the template


def _applies_required(applies: AppliesTo) -> str:
    if applies is AppliesTo.COLLECTIVE:
        return str(_l("Chỉ tập thể; không bắt buộc"))
    if applies is AppliesTo.INDIVIDUAL:
        return str(_l("Chỉ cá nhân; không bắt buộc"))
    return str(_l("Không bắt buộc"))


def _criterion_columns(criterion: Criterion) -> list[TemplateColumn]:
    columns = [
        TemplateColumn(
            name=score_column(criterion),
            required=_applies_required(criterion.applies_to),
            allowed=str(
                _l(
                    "Số từ 0 đến %(max)s, bước 0,5",
                    max=format_points(criterion.max_points),
                )
            ),
            meaning=str(
                _l(
                    "Điểm tự chấm tiêu chí %(code)s — %(title)s. Cần đủ trước khi trình.",
                    code=criterion.code,
                    title=criterion.title,
                )
            ),
            minimum=0,
            maximum=criterion.max_points,
            width=12,
        )
    ]
    if criterion.is_measurable and criterion.target_value is not None:
        percent = criterion.target_unit == "%"
        columns.append(
            TemplateColumn(
                name=value_column(criterion),
                required=_applies_required(criterion.applies_to),
                allowed=str(_l("Số từ 0 đến 100")) if percent else str(_l("Số không âm")),
                meaning=str(
                    _l(
                        "Số liệu báo cáo của tiêu chí %(code)s (chỉ tiêu %(target)s %(unit)s). Nếu "
                        "để trống cột điểm, điểm được tính từ số liệu: điểm tối đa × tỷ lệ đạt "
                        "chỉ tiêu (không quá 1).",
                        code=criterion.code,
                        target=format_points(criterion.target_value),
                        unit=criterion.target_unit,
                    )
                ),
                minimum=0,
                maximum=Decimal(100) if percent else None,
                width=12,
            )
        )
    return columns


def _base_columns(form_codes: list[str]) -> list[TemplateColumn]:
    required = str(_l("Bắt buộc"))
    optional = str(_l("Không bắt buộc"))
    collective_only = _applies_required(AppliesTo.COLLECTIVE)
    individual_only = _applies_required(AppliesTo.INDIVIDUAL)
    text = str(_l("Văn bản"))
    short_text = str(_l("Văn bản, tối đa %(n)d ký tự", n=NAME_MAX))
    before_submit = str(_l("Cần có trước khi trình."))
    return [
        TemplateColumn(
            KIND,
            required,
            ", ".join(KIND_VALUES.values()),
            str(_l("Đối tượng được đề nghị khen thưởng.")),
            choices=list(KIND_VALUES.values()),
            width=12,
        ),
        TemplateColumn(
            AWARD_FORM,
            required,
            ", ".join(form_codes),
            str(
                _l(
                    "Mã hình thức khen thưởng đề nghị (bảng hình thức khen thưởng bên dưới); phải "
                    "dành cho đối tượng của dòng."
                )
            ),
            choices=form_codes,
            width=14,
        ),
        TemplateColumn(
            NAME,
            required,
            short_text,
            str(_l("Tập thể: tên tập thể. Cá nhân: họ và tên.")),
            width=30,
        ),
        TemplateColumn(
            WORKPLACE,
            optional,
            short_text,
            str(
                _l(
                    "Tập thể: cơ quan, đơn vị cấp trên trực tiếp. Cá nhân: nơi công tác (phòng, "
                    "ban, đơn vị)."
                )
            ),
            width=30,
        ),
        TemplateColumn(
            HEADCOUNT,
            str(_l("Bắt buộc với tập thể")),
            str(_l("Số nguyên lớn hơn 0")),
            str(_l("Tổng số người của tập thể.")),
            minimum=1,
            whole=True,
            width=10,
        ),
        TemplateColumn(
            WOMEN_SHARE,
            collective_only,
            str(_l("Số từ 0 đến 100")),
            str(_l("Tỷ lệ nữ của tập thể, tính theo phần trăm (ví dụ 58,3).")),
            minimum=0,
            maximum=100,
            width=10,
        ),
        TemplateColumn(
            SEX,
            str(_l("Bắt buộc với cá nhân")),
            ", ".join(SEX_VALUES.values()),
            str(_l("Giới tính của cá nhân.")),
            choices=list(SEX_VALUES.values()),
            width=10,
        ),
        TemplateColumn(
            BIRTH_DATE,
            str(_l("Bắt buộc với cá nhân")),
            str(_l("Ngày dạng dd/mm/yyyy")),
            str(_l("Ngày sinh; tuổi tại ngày khen thưởng từ 16 đến 90.")),
            is_date=True,
            width=12,
        ),
        TemplateColumn(
            POSITION,
            individual_only,
            short_text,
            str(_l("Chức vụ hoặc chức danh của cá nhân.")) + " " + before_submit,
            width=24,
        ),
        TemplateColumn(
            CATEGORY,
            individual_only,
            ", ".join(CATEGORY_VALUES.values()),
            str(
                _l(
                    "lãnh đạo: lãnh đạo, quản lý; nhân viên: công chức, viên chức, người lao động "
                    "không giữ chức vụ."
                )
            )
            + " "
            + before_submit,
            choices=list(CATEGORY_VALUES.values()),
            width=12,
        ),
        TemplateColumn(
            CITIZEN_ID,
            individual_only,
            str(_l("Đúng 12 chữ số")),
            str(_l("Số căn cước / định danh cá nhân, dùng để phát hiện hồ sơ trùng.")),
            is_text=True,
            width=16,
        ),
        TemplateColumn(
            CITATION,
            optional,
            text,
            str(_l("Nội dung ghi trên bằng khen, giấy khen (trích yếu thành tích)."))
            + " "
            + before_submit,
            width=40,
        ),
        TemplateColumn(
            PROFILE,
            optional,
            text,
            str(
                _l(
                    "Báo cáo thành tích, phần I: đặc điểm, tình hình (tập thể) hoặc sơ lược lý lịch "
                    "(cá nhân)."
                )
            )
            + " "
            + before_submit,
            width=40,
        ),
        TemplateColumn(
            ACHIEVEMENTS,
            optional,
            text,
            str(_l("Báo cáo thành tích, phần II: thành tích đạt được.")) + " " + before_submit,
            width=40,
        ),
        TemplateColumn(
            MEASURES,
            optional,
            text,
            str(_l("Báo cáo thành tích: các biện pháp, giải pháp, sáng kiến đã thực hiện.")),
            width=40,
        ),
        TemplateColumn(
            PAST_AWARDS,
            optional,
            str(
                _l(
                    "năm | hình thức | số quyết định; nhiều khen thưởng cách nhau bởi dấu chấm "
                    "phẩy hoặc xuống dòng"
                )
            ),
            str(
                _l(
                    "Báo cáo thành tích, phần III: các hình thức khen thưởng đã nhận. Ví dụ: "
                    "2023 | Giấy khen của Giám đốc Sở | 125/QĐ-SNV"
                )
            ),
            width=40,
        ),
    ]


def _examples(
    round_: Round,
    unit: Unit,
    columns: list[TemplateColumn],
    criteria: list[Criterion],
    forms: list[AwardForm],
) -> list[list[object]]:
    """A collective and an individual, filled as a unit would (sample data, not interface text)."""
    citation = f"Đã có thành tích xuất sắc trong phong trào thi đua “{round_.campaign.name}”"
    collective_form = next((f.code for f in forms if f.for_collectives), "")
    individual_form = next((f.code for f in forms if f.for_individuals), "")
    rows: list[dict[str, object]] = [
        {
            KIND: KIND_VALUES[RecipientKind.COLLECTIVE],
            AWARD_FORM: collective_form,
            NAME: "Phòng Chuyển đổi số",
            WORKPLACE: unit.name,
            HEADCOUNT: 12,
            WOMEN_SHARE: 58.3,
            CITATION: citation,
            PROFILE: "Phòng có 12 công chức, tham mưu về chuyển đổi số của đơn vị.",
            ACHIEVEMENTS: "Hoàn thành 100% chỉ tiêu kế hoạch chuyển đổi số năm.",
            MEASURES: "Số hóa hồ sơ, ký số văn bản đi, họp trực tuyến.",
            PAST_AWARDS: "2023 | Giấy khen của Giám đốc Sở | 125/QĐ-SNV",
        },
        {
            KIND: KIND_VALUES[RecipientKind.INDIVIDUAL],
            AWARD_FORM: individual_form,
            NAME: "Trần Thị Mai Hoa",
            WORKPLACE: unit.name,
            SEX: SEX_VALUES[Sex.FEMALE],
            BIRTH_DATE: date(1988, 5, 12),
            POSITION: "Chuyên viên",
            CATEGORY: CATEGORY_VALUES[StaffCategory.STAFF],
            CITIZEN_ID: "027188001234",
            CITATION: citation,
            PROFILE: "Sinh năm 1988, kỹ sư công nghệ thông tin.",
            ACHIEVEMENTS: "Xây dựng phần mềm quản lý hồ sơ trực tuyến của đơn vị.",
        },
    ]
    for criterion in criteria:
        for row in rows:
            kind = RecipientKind.COLLECTIVE if row is rows[0] else RecipientKind.INDIVIDUAL
            if not criterion.applies_to.includes(kind):
                continue
            row[score_column(criterion)] = criterion.max_points
            if criterion.is_measurable:
                row[value_column(criterion)] = criterion.target_value
    return [[row.get(column.name) for column in columns] for row in rows]


def template_spec(round_: Round, unit: Unit, *, input_rows: int = 1000) -> NominationTemplate:
    """Everything the template of ``round_`` shows, as plain data for ``exports.nomination_template``."""
    criteria = campaign_criteria(round_)
    forms = campaign_award_forms(round_)
    form_codes = [form.code for form in forms]
    columns = _base_columns(form_codes)
    for criterion in criteria:
        columns.extend(_criterion_columns(criterion))
    criteria_rows = [
        [
            criterion.code,
            criterion.title,
            str(APPLIES_TO_LABELS[criterion.applies_to]),
            criterion.max_points,
            f"{format_points(criterion.target_value)} {criterion.target_unit}".strip()
            if criterion.target_value is not None
            else "",
            score_column(criterion),
            value_column(criterion) if criterion.is_measurable else "",
        ]
        for criterion in criteria
    ]
    form_rows = [
        [
            form.code,
            form.name,
            str(
                APPLIES_TO_LABELS[
                    AppliesTo.BOTH
                    if form.for_collectives and form.for_individuals
                    else AppliesTo.COLLECTIVE
                    if form.for_collectives
                    else AppliesTo.INDIVIDUAL
                ]
            ),
        ]
        for form in forms
    ]
    return NominationTemplate(
        sheet_title=str(_l("Hồ sơ")),
        columns=columns,
        guide_title=str(_l("Hướng dẫn")),
        guide_intro=[
            str(
                _l(
                    "Hướng dẫn nhập hồ sơ đề nghị khen thưởng từ Excel — đợt xét %(code)s: %(name)s",
                    code=round_.code,
                    name=round_.name,
                )
            ),
            str(
                _l(
                    "Mỗi dòng của trang “Hồ sơ” (từ dòng 2) là một hồ sơ: một tập thể hoặc một cá "
                    "nhân. Giữ nguyên dòng tiêu đề (tên cột) và để trang “Hồ sơ” là trang đầu tiên "
                    "của tệp. Các cột không dùng có thể xóa, trừ doi_tuong, hinh_thuc, ten."
                )
            ),
            str(
                _l(
                    "Mọi dòng đều được kiểm tra. Nếu có bất kỳ dòng nào lỗi, không hồ sơ nào được "
                    "lưu: sửa các dòng được báo lỗi rồi tải lại cả tệp."
                )
            ),
            str(
                _l(
                    "Hồ sơ được tạo ở trạng thái nháp của đơn vị; sau đó bổ sung minh chứng và "
                    "trình qua Tờ trình của đơn vị như hồ sơ nhập trên trang."
                )
            ),
            str(
                _l(
                    "Không nhập công thức: ô bắt đầu bằng = + - @ bị từ chối. Ngày nhập dạng "
                    "dd/mm/yyyy; số thập phân dùng dấu phẩy hoặc dấu chấm. Giá trị chữ nhập có dấu "
                    "hoặc không dấu đều được. Trang “Ví dụ” có hai dòng mẫu."
                )
            ),
        ],
        guide_header=[
            str(_l("Cột")),
            str(_l("Bắt buộc")),
            str(_l("Giá trị hợp lệ")),
            str(_l("Ý nghĩa")),
        ],
        examples_title=str(_l("Ví dụ")),
        examples=_examples(round_, unit, columns, criteria, forms),
        sections=[
            GuideSection(
                str(_l("Tiêu chí của phong trào")),
                [
                    str(_l("Mã tiêu chí")),
                    str(_l("Tên tiêu chí")),
                    str(_l("Áp dụng cho")),
                    str(_l("Điểm tối đa")),
                    str(_l("Chỉ tiêu")),
                    str(_l("Cột điểm")),
                    str(_l("Cột số liệu")),
                ],
                criteria_rows,
            ),
            GuideSection(
                str(_l("Hình thức khen thưởng (cột hinh_thuc)")),
                [str(_l("Mã")), str(_l("Tên hình thức")), str(_l("Dành cho"))],
                form_rows,
            ),
        ],
        lists_title=str(_l("Danh mục")),
        input_rows=input_rows,
        error_title=str(_l("Giá trị không hợp lệ")),
    )
