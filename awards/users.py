"""Administration of accounts: list, search, create, edit roles and unit, deactivate, unlock."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from awards import accounts, unit_tree
from awards.extensions import db
from awards.paging import requested_page
from awards.permissions import roles_required
from forms.auth import ConfirmForm
from forms.fields import options
from forms.users import NewUserForm, UserForm, UserSearchForm
from models import Role, User

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _unit_choices() -> list[SelectChoice]:
    return options(unit_tree.unit_options(_("— Không thuộc đơn vị —")))


def _get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> str:
    form = UserSearchForm(request.args)
    valid = form.validate()  # an unknown role in the URL lists everyone instead of failing
    stmt = accounts.search_users(
        form.q.data or "", Role(form.role.data) if valid and form.role.data else None
    )
    page = db.paginate(stmt, page=requested_page(), per_page=50, error_out=False)
    return render_template("users/index.html", form=form, page=page)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create() -> Response | str:
    form = NewUserForm()
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                username=form.username.data,
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
                roles={Role(r) for r in form.roles.data},
                unit_id=form.unit_id.data or None,
            )
        except accounts.AccountError as error:
            form.form_errors.append(str(error))
        else:
            user.locale = form.locale.data
            db.session.commit()
            flash(
                _(
                    "Đã tạo tài khoản %(u)s. Người dùng phải đổi mật khẩu ở lần đăng nhập đầu.",
                    u=user.username,
                ),
                "success",
            )
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(user_id: int) -> Response | str:
    user = _get_user(user_id)
    form = UserForm(
        obj=user,
        data=None
        if request.method == "POST"
        else {
            "roles": [r.value for r in user.roles],
            "unit_id": user.unit_id or 0,
        },
    )
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                full_name=form.full_name.data,
                email=form.email.data,
                roles={Role(r) for r in form.roles.data},
                unit_id=form.unit_id.data or None,
                locale=form.locale.data,
            )
        except accounts.AccountError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lưu tài khoản %(u)s.", u=user.username), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user)


@bp.route("/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def toggle_active(user_id: int) -> Response:
    user = _get_user(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            accounts.set_active(user, not user.active, current_user)
        except accounts.AccountError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(
                _("Đã mở lại tài khoản %(u)s.", u=user.username)
                if user.active
                else _("Đã khóa tài khoản %(u)s.", u=user.username),
                "success",
            )
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@roles_required(Role.ADMIN)
def unlock(user_id: int) -> Response:
    user = _get_user(user_id)
    if ConfirmForm().validate_on_submit():
        accounts.unlock(user)
        db.session.commit()
        flash(_("Đã mở khóa đăng nhập cho %(u)s.", u=user.username), "success")
    return redirect(url_for("users.edit", user_id=user.id))
