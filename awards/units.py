"""Units (đơn vị): the tree, search, create, edit, move, retire and restore; Excel template, import and
export. Listing is open to administrators and the board; every change is for administrators."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from awards import unit_tree
from awards.extensions import db
from awards.paging import requested_page
from awards.permissions import roles_required
from awards.templating import format_day
from awards.unit_import import (
    COLUMN_DESCRIPTIONS,
    COLUMNS,
    import_units,
    kind_labels_vi,
)
from awards.unit_tree import UnitError, UnitRow
from exports.excel import SheetData, write_workbook
from forms.auth import ConfirmForm
from forms.fields import options
from forms.units import (
    MoveUnitForm,
    NewUnitForm,
    RetireUnitForm,
    UnitForm,
    UnitImportForm,
    UnitSearchForm,
)
from models import Role, Unit, UnitKind

bp = Blueprint("units", __name__, url_prefix="/admin/units")

PER_PAGE = 300  # a province has ~250 units: its whole tree fits on one page
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READERS = (Role.ADMIN, Role.BOARD)


@dataclass(frozen=True)
class RowPage:
    """One page of listing rows, with what the ``pagination`` macro reads."""

    items: list[UnitRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def iter_pages(self) -> range:
        return range(1, self.pages + 1)


def _get_unit(unit_id: int) -> Unit:
    return db.get_or_404(Unit, unit_id)


def _can_manage() -> bool:
    return current_user.has_role(Role.ADMIN)


def _parent_choices(exclude: set[int] | frozenset[int] = frozenset()) -> list[SelectChoice]:
    return options(unit_tree.unit_options(_("— Không có (đơn vị cấp cao nhất) —"), exclude))


@bp.route("/")
@roles_required(*READERS)
def index() -> str:
    form = UnitSearchForm(request.args)
    form.validate()
    query = (form.q.data or "").strip() if not form.q.errors else ""
    kind = UnitKind(form.kind.data) if form.kind.data and not form.kind.errors else None
    include_retired = bool(form.retired.data)
    flat = bool(query or kind)
    stmt = (
        unit_tree.search_statement(query, kind=kind, include_retired=include_retired)
        if flat
        else unit_tree.tree_statement(include_retired=include_retired)
    )
    number = requested_page()
    page = RowPage(
        unit_tree.fetch_rows(stmt, limit=PER_PAGE, offset=(number - 1) * PER_PAGE),
        number,
        PER_PAGE,
        unit_tree.count_rows(stmt),
    )
    args = {
        "q": query,
        "kind": kind.value if kind else "",
        "retired": "y" if include_retired else "",
    }
    return render_template(
        "units/index.html", form=form, page=page, flat=flat, args=args, can_manage=_can_manage()
    )


@bp.route("/<int:unit_id>")
@roles_required(*READERS)
def detail(unit_id: int) -> str:
    unit = _get_unit(unit_id)
    return render_template(
        "units/detail.html",
        unit=unit,
        ancestors=unit_tree.ancestors(unit),
        children=unit.children,
        can_manage=_can_manage(),
        today=date.today(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create() -> BaseResponse | str:
    form = NewUnitForm()
    form.parent_id.choices = _parent_choices()
    if request.method == "GET":
        form.parent_id.data = request.args.get("parent", 0, type=int)
        form.valid_from.data = date.today()
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent_id.data) if form.parent_id.data else None
        try:
            unit = unit_tree.create_unit(
                code=form.code.data,
                name=form.name.data,
                kind=UnitKind(form.kind.data),
                parent=parent,
                valid_from=form.valid_from.data,
            )
        except UnitError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("Đã thêm đơn vị %(code)s — %(name)s.", code=unit.code, name=unit.name), "success"
            )
            return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template(
        "units/form.html",
        form=form,
        unit=None,
        title=_("Thêm đơn vị"),
        cancel=url_for("units.index"),
    )


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(unit_id: int) -> BaseResponse | str:
    unit = _get_unit(unit_id)
    # Values come from the unit on GET only: a POST is judged on what it carries.
    form = UnitForm(obj=unit if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            unit_tree.update_unit(
                unit,
                code=form.code.data,
                name=form.name.data,
                kind=UnitKind(form.kind.data),
                valid_from=form.valid_from.data,
            )
        except UnitError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lưu đơn vị %(code)s.", code=unit.code), "success")
            return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template(
        "units/form.html",
        form=form,
        unit=unit,
        title=_("Sửa đơn vị %(code)s", code=unit.code),
        cancel=url_for("units.detail", unit_id=unit.id),
    )


@bp.route("/<int:unit_id>/move", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def move(unit_id: int) -> BaseResponse | str:
    unit = _get_unit(unit_id)
    form = MoveUnitForm()
    form.parent_id.choices = _parent_choices({unit.id} | unit_tree.descendant_ids(unit.id))
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent_id.data) if form.parent_id.data else None
        try:
            unit_tree.move_unit(unit, parent)
        except UnitError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Đã chuyển đơn vị %(code)s sang %(parent)s.",
                    code=unit.code,
                    parent=parent.name if parent else _("cấp cao nhất"),
                ),
                "success",
            )
            return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template(
        "units/form.html",
        form=form,
        unit=unit,
        title=_("Chuyển đơn vị %(code)s", code=unit.code),
        help_text=_(
            "Đơn vị được chuyển cùng toàn bộ các đơn vị trực thuộc. Không thể chuyển vào chính nó "
            "hoặc vào đơn vị trực thuộc của nó."
        ),
        cancel=url_for("units.detail", unit_id=unit.id),
    )


@bp.route("/<int:unit_id>/retire", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def retire(unit_id: int) -> BaseResponse | str:
    unit = _get_unit(unit_id)
    form = RetireUnitForm()
    if request.method == "GET":
        form.valid_to.data = unit.valid_to or date.today()
    if form.validate_on_submit():
        try:
            unit_tree.retire_unit(unit, form.valid_to.data)
        except UnitError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Đơn vị %(code)s còn hiệu lực đến hết ngày %(day)s.",
                    code=unit.code,
                    day=format_day(unit.valid_to),
                ),
                "success",
            )
            return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template(
        "units/form.html",
        form=form,
        unit=unit,
        title=_("Cho đơn vị %(code)s ngừng hoạt động", code=unit.code),
        help_text=_(
            "Đơn vị không bị xóa: dữ liệu cũ vẫn giữ nguyên và có thể khôi phục. Các đơn vị trực "
            "thuộc phải được chuyển đi hoặc cho ngừng hoạt động trước."
        ),
        cancel=url_for("units.detail", unit_id=unit.id),
    )


@bp.route("/<int:unit_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate(unit_id: int) -> BaseResponse:
    unit = _get_unit(unit_id)
    if ConfirmForm().validate_on_submit():
        try:
            unit_tree.reactivate_unit(unit)
        except UnitError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Đã khôi phục đơn vị %(code)s.", code=unit.code), "success")
    return redirect(url_for("units.detail", unit_id=unit.id))


# --------------------------------------------------------------------------- Excel


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _guide_sheet() -> SheetData:
    rows: list[list[object]] = [[column, str(COLUMN_DESCRIPTIONS[column])] for column in COLUMNS]
    rows += [[], [_("Giá trị hợp lệ của cột loai"), ""], [_("Tên (tiếng Việt)"), _("Mã")]]
    rows += [[label, kind.value] for kind, label in kind_labels_vi().items()]
    rows += [
        [],
        [
            _("Lưu ý"),
            _(
                "Dòng 1 là tiêu đề, giữ nguyên tên cột. Đơn vị cấp trên có thể nằm ở dòng trước hoặc "
                "sau. Mã đã có trong hệ thống thì được cập nhật, mã mới thì được thêm. Nếu có bất kỳ dòng "
                "nào lỗi, không dữ liệu nào được lưu. Không nhập công thức (ô bắt đầu bằng = + - @)."
            ),
        ],
    ]
    return SheetData(
        title=_("Hướng dẫn"), header=[_("Cột"), _("Ý nghĩa")], rows=rows, widths=(24, 100)
    )


def _unit_sheet(rows: list[list[object]]) -> SheetData:
    return SheetData(title=_("Đơn vị"), header=COLUMNS, rows=rows, widths=(18, 50, 20, 20, 14, 14))


@bp.route("/template.xlsx")
@roles_required(Role.ADMIN)
def template() -> Response:
    labels = kind_labels_vi()
    example = ["SNV", "Sở Nội vụ", labels[UnitKind.PROVINCIAL_BODY], "TINH", date(2020, 1, 1), None]
    data = write_workbook([_unit_sheet([example]), _guide_sheet()])
    return _xlsx(data, "mau_nhap_don_vi.xlsx")


@bp.route("/export.xlsx")
@roles_required(*READERS)
def export() -> Response:
    labels = kind_labels_vi()
    rows: list[list[object]] = [
        [row.code, row.name, labels[row.kind], row.parent_code, row.valid_from, row.valid_to]
        for row in unit_tree.tree_rows(include_retired=True)
    ]
    data = write_workbook([_unit_sheet(rows)])
    return _xlsx(data, f"don_vi_{date.today():%Y%m%d}.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_file() -> BaseResponse | str:
    form = UnitImportForm()
    result = None
    if form.validate_on_submit():
        result = import_units(form.file.data.read())
        if result.ok:
            db.session.commit()
            flash(
                _(
                    "Đã nhập %(created)d đơn vị mới và cập nhật %(updated)d đơn vị.",
                    created=result.created,
                    updated=result.updated,
                ),
                "success",
            )
            return redirect(url_for("units.index"))
        db.session.rollback()
    return render_template("units/import.html", form=form, result=result)
