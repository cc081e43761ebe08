"""Import units from an Excel workbook (the template downloadable from the Units page).

All or nothing: every row is read and checked first, and the units are written (one flush) only when no
row has an error. Existing codes are updated, new codes created; parents may be defined anywhere in the
file or already exist. The workbook is read through ``exports.excel.read_sheet``, which refuses zip bombs
and oversized sheets before any XML is parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from awards import audit
from awards.extensions import db
from awards.labels import UNIT_KIND_LABELS
from awards.sheets import RowError, file_error_message, map_headers
from awards.templating import format_day
from awards.text import clean, fold
from awards.unit_tree import code_problem, lifespan_problem, name_problem, normalise_code
from exports.excel import (
    ExcelReadError,
    NotAWorkbookError,
    TooManyRowsError,
    WorkbookTooLargeError,
    is_formula_like,
    read_sheet,
)
from models import Unit, UnitKind

CODE = "ma_don_vi"
NAME = "ten_don_vi"
KIND = "loai"
PARENT = "ma_don_vi_cap_tren"
VALID_FROM = "hieu_luc_tu"
VALID_TO = "hieu_luc_den"
COLUMNS = (CODE, NAME, KIND, PARENT, VALID_FROM, VALID_TO)
REQUIRED_COLUMNS = (CODE, NAME, KIND)

COLUMN_DESCRIPTIONS = {
    CODE: _l(
        "Mã đơn vị, duy nhất: chữ in hoa không dấu, chữ số, . _ - (tối đa 32 ký tự). Bắt buộc."
    ),
    NAME: _l("Tên đầy đủ của đơn vị, có dấu (tối đa 255 ký tự). Bắt buộc."),
    KIND: _l("Loại đơn vị: một trong các giá trị ở bảng dưới (tên tiếng Việt hoặc mã). Bắt buộc."),
    PARENT: _l(
        "Mã đơn vị cấp trên: một đơn vị trong tệp này hoặc đã có trong hệ thống. Để trống nếu là "
        "đơn vị cấp cao nhất."
    ),
    VALID_FROM: _l(
        "Ngày bắt đầu hiệu lực (dd/mm/yyyy). Để trống: giữ ngày đã có, đơn vị mới lấy 01/01/2000."
    ),
    VALID_TO: _l(
        "Ngày cuối cùng còn hiệu lực (dd/mm/yyyy), khi đơn vị đã giải thể, sáp nhập. Để trống nếu đơn "
        "vị đang hoạt động."
    ),
}

_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


@dataclass
class ImportResult:
    ok: bool
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0


@dataclass
class _Row:
    row: int
    code: str
    name: str
    kind: UnitKind
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None


@dataclass
class _State:
    """A unit as it will be after the import: from the database, overlaid with its file row if any."""

    parent_code: str | None
    valid_from: date
    valid_to: date | None
    row: int | None = None


# --------------------------------------------------------------------------- cells


class _CellError(ValueError):
    pass


def kind_names() -> dict[str, UnitKind]:
    """Folded spellings accepted in the ``loai`` column: the enum values and the labels."""
    names: dict[str, UnitKind] = {}
    for kind, label in UNIT_KIND_LABELS.items():
        names[fold(kind.value)] = kind
        names[fold(kind.value.replace("_", " "))] = kind
        names[fold(str(label))] = kind  # in the interface language
    names.update({fold(label): kind for kind, label in kind_labels_vi().items()})
    return names


def kind_labels_vi() -> dict[UnitKind, str]:
    with force_locale("vi"):
        return {kind: str(label) for kind, label in UNIT_KIND_LABELS.items()}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _refuse_formula(column: str, value: object) -> None:
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
                value=str(value)[:40],
            )
        )
    )


def _parse_row(
    number: int, cells: dict[str, object], kinds: dict[str, UnitKind]
) -> tuple[_Row | None, list[str]]:
    problems: list[str] = []

    def read(column: str, reader):  # type: ignore[no-untyped-def]
        try:
            _refuse_formula(column, cells.get(column))
            return reader(column, cells.get(column))
        except _CellError as error:
            problems.append(str(error))
            return None

    code = read(CODE, _text)
    name = read(NAME, _text)
    kind_text = read(KIND, _text)
    parent_code = read(PARENT, _text)
    valid_from = read(VALID_FROM, _date)
    valid_to = read(VALID_TO, _date)

    if code is not None:
        code = normalise_code(code)
        if problem := code_problem(code):
            problems.append(problem)
    if name is not None and (problem := name_problem(name)):
        problems.append(problem)
    kind = None
    if kind_text is not None:
        kind = kinds.get(fold(kind_text))
        if not kind_text:
            problems.append(str(_l("Thiếu loại đơn vị (cột %(col)s).", col=KIND)))
        elif kind is None:
            problems.append(
                str(
                    _l(
                        "Loại đơn vị “%(value)s” không hợp lệ. Dùng một trong: %(allowed)s.",
                        value=kind_text[:40],
                        allowed=", ".join(kind_labels_vi().values()),
                    )
                )
            )
    if parent_code:
        parent_code = normalise_code(parent_code)
        if problem := code_problem(parent_code):
            problems.append(str(_l("Mã đơn vị cấp trên: %(p)s", p=problem)))
    if problems or code is None or name is None or kind is None:
        return None, problems
    return _Row(number, code, name, kind, parent_code or None, valid_from, valid_to), problems


# --------------------------------------------------------------------------- the whole file


def _file_error(error: ExcelReadError) -> ImportResult:
    return ImportResult(ok=False, errors=[RowError(0, file_error_message(error))])


def _header_errors(headers: list[str]) -> tuple[dict[str, int], list[RowError]]:
    return map_headers(headers, COLUMNS, REQUIRED_COLUMNS)


def _parse_rows(
    rows: Iterator[tuple[int, tuple[object, ...]]], index: dict[str, int]
) -> tuple[list[_Row], list[RowError]]:
    kinds = kind_names()
    parsed: list[_Row] = []
    errors: list[RowError] = []
    for number, values in rows:
        if all(_blank(value) for value in values):
            continue
        cells = {col: values[pos] if pos < len(values) else None for col, pos in index.items()}
        row, problems = _parse_row(number, cells, kinds)
        errors.extend(RowError(number, problem) for problem in problems)
        if row is not None:
            parsed.append(row)
    return parsed, errors


def _check_tree(
    rows: list[_Row], existing: dict[str, Unit], columns: Iterable[str]
) -> tuple[list[_Row], list[RowError]]:
    """Cross-row checks: duplicate codes, unknown parents, cycles, dates, units outliving parents.

    Returns the rows to apply (first occurrence of each code) and the errors found."""
    columns = set(columns)
    errors: list[RowError] = []
    by_id = {unit.id: unit for unit in existing.values()}
    state = {
        code: _State(
            by_id[unit.parent_id].code if unit.parent_id in by_id else None,
            unit.valid_from,
            unit.valid_to,
        )
        for code, unit in existing.items()
    }
    first_row: dict[str, _Row] = {}
    for row in rows:
        if row.code in first_row:
            errors.append(
                RowError(
                    row.row,
                    str(
                        _l(
                            "Mã đơn vị “%(code)s” trùng với dòng %(other)d trong tệp.",
                            code=row.code,
                            other=first_row[row.code].row,
                        )
                    ),
                )
            )
            continue
        first_row[row.code] = row
        old = state.get(row.code)
        state[row.code] = _State(
            parent_code=row.parent_code if PARENT in columns or old is None else old.parent_code,
            valid_from=row.valid_from or (old.valid_from if old else date(2000, 1, 1)),
            valid_to=row.valid_to if VALID_TO in columns or old is None else old.valid_to,
            row=row.row,
        )

    broken: set[str] = set()
    for code, row in first_row.items():
        current = state[code]
        if current.valid_to is not None and current.valid_to < current.valid_from:
            errors.append(
                RowError(
                    row.row,
                    str(
                        _l(
                            "Hiệu lực đến (%(end)s) không được trước hiệu lực từ (%(start)s).",
                            end=format_day(current.valid_to),
                            start=format_day(current.valid_from),
                        )
                    ),
                )
            )
        if current.parent_code is None:
            continue
        if current.parent_code not in state:
            broken.add(code)
            errors.append(
                RowError(
                    row.row,
                    str(
                        _l(
                            "Không tìm thấy đơn vị cấp trên có mã “%(code)s” (trong tệp hoặc trong hệ "
                            "thống).",
                            code=current.parent_code,
                        )
                    ),
                )
            )
            continue
        cycle = _cycle_from(code, state)
        if cycle:
            broken.add(code)
            errors.append(
                RowError(
                    row.row,
                    str(
                        _l(
                            "Vòng lặp đơn vị cấp trên: %(path)s. Một đơn vị không thể nằm dưới chính "
                            "nó.",
                            path=" → ".join(cycle),
                        )
                    ),
                )
            )

    for code, current in state.items():
        parent = state.get(current.parent_code) if current.parent_code else None
        if parent is None or code in broken or (current.row is None and parent.row is None):
            continue
        problem = lifespan_problem(current.valid_to, current.parent_code or "", parent.valid_to)
        if problem is None:
            continue
        if current.row is not None:
            errors.append(RowError(current.row, problem))
        elif parent.row is not None:
            errors.append(
                RowError(
                    parent.row,
                    str(
                        _l(
                            "Đơn vị trực thuộc %(code)s vẫn hoạt động sau ngày %(day)s. Hãy chuyển "
                            "hoặc cho ngừng hoạt động đơn vị đó trước (có thể thêm dòng cho nó vào "
                            "tệp).",
                            code=code,
                            day=format_day(parent.valid_to),
                        )
                    ),
                )
            )
    return list(first_row.values()), errors


def _cycle_from(code: str, state: dict[str, _State]) -> list[str] | None:
    """The cycle of parent links that leads from ``code`` back to it, or None."""
    path = [code]
    seen = {code}
    parent = state[code].parent_code
    while parent is not None and parent in state:
        path.append(parent)
        if parent == code:
            return path
        if parent in seen:  # a cycle above this unit: reported on the rows that form it
            return None
        seen.add(parent)
        parent = state[parent].parent_code
    return None


def _apply(rows: list[_Row], existing: dict[str, Unit], columns: set[str]) -> tuple[int, int]:
    units = dict(existing)
    created = updated = 0
    for row in rows:
        unit = existing.get(row.code)
        if unit is None:
            unit = Unit(code=row.code, name=row.name, kind=row.kind, valid_to=row.valid_to)
            if row.valid_from is not None:
                unit.valid_from = row.valid_from
            db.session.add(unit)
            units[row.code] = unit
            created += 1
            continue
        updated += 1
        if unit.name != row.name:
            unit.name = row.name
        if unit.kind != row.kind:
            unit.kind = row.kind
        if row.valid_from is not None and unit.valid_from != row.valid_from:
            unit.valid_from = row.valid_from
        if VALID_TO in columns and unit.valid_to != row.valid_to:
            unit.valid_to = row.valid_to
    if PARENT in columns:
        for row in rows:
            unit = units[row.code]
            parent = units[row.parent_code] if row.parent_code else None
            if parent is None:
                if unit.parent_id is not None:
                    unit.parent = None
            elif parent.id is None or unit.parent_id != parent.id:
                unit.parent = parent
    db.session.flush()
    return created, updated


@contextmanager
def _message_locale() -> Iterator[None]:
    """Outside a request (the CLI) messages use the default locale: the app's locale selector reads the
    request, which is not there."""
    if has_request_context():
        yield
    else:
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")):
            yield


def import_units(data: bytes) -> ImportResult:
    """Check every row of the workbook ``data``, then create or update the units (one flush).

    Returns an ``ImportResult``: with ``ok`` False and every error found (Vietnamese, by Excel row; row 0
    for the file as a whole, row 1 for the header) nothing was written; with ``ok`` True the units are
    flushed and an ``import`` event recorded. The caller commits (or rolls back).
    """
    with _message_locale():
        return _import(data)


def _import(data: bytes) -> ImportResult:
    config = current_app.config
    try:
        headers, body = read_sheet(
            data,
            max_uncompressed=config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
            max_rows=config["IMPORT_MAX_ROWS"],
        )
        index, errors = _header_errors(headers)
        if errors:
            return ImportResult(ok=False, errors=errors)
        rows, errors = _parse_rows(body, index)
    except (NotAWorkbookError, WorkbookTooLargeError, TooManyRowsError) as error:
        return _file_error(error)
    if not rows and not errors:
        return ImportResult(
            ok=False, errors=[RowError(2, str(_l("Tệp không có dòng dữ liệu nào.")))]
        )

    existing = {unit.code: unit for unit in db.session.scalars(sa.select(Unit))}
    rows, tree_errors = _check_tree(rows, existing, index)
    errors.extend(tree_errors)
    if errors:
        errors.sort(key=lambda error: error.row)
        return ImportResult(ok=False, errors=errors)

    created, updated = _apply(rows, existing, set(index))
    audit.record("import", "units", None, after={"created": created, "updated": updated})
    return ImportResult(ok=True, created=created, updated=updated)
