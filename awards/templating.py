"""Jinja filters and globals: Vietnamese dates and numbers, the role-aware navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import Flask, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from awards import labels, notifications
from forms.auth import ConfirmForm, LanguageForm
from models import Role


def format_day(value: date | datetime | None) -> str:
    """dd/mm/yyyy in tables, whatever the interface language (the documents are Vietnamese)."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def format_timestamp(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm")


def long_date(value: date) -> str:
    """``ngày 10 tháng 10 năm 2025``; day below 10 and months 1–2 get a leading zero (Decree 30)."""
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def format_number(value: int | float | Decimal | None, places: int = 0) -> str:
    """7.020.000 in Vietnamese (dot for thousands, comma for decimals); 7,020,000 in English."""
    if value is None:
        return ""
    text = f"{value:,.{places}f}"
    if str(get_locale() or "vi").startswith("vi"):
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_points(value: Decimal | float | None) -> str:
    if value is None:
        return ""
    places = 0 if Decimal(value) == Decimal(value).to_integral_value() else 1
    return format_number(value, places)


@dataclass(frozen=True)
class NavItem:
    label: object
    endpoint: str
    roles: frozenset[Role]
    group: object | None = None  # consecutive items of one group share a drop-down menu


@dataclass
class NavGroup:
    label: object
    items: list[NavItem]


SELECTION = _l("Xét chọn")
AWARDING = _l("Khen thưởng")


NAV = [
    NavItem(
        _l("Hồ sơ đề nghị"),
        "nominations.index",
        frozenset({Role.UNIT_CLERK, Role.UNIT_HEAD, Role.BOARD, Role.APPROVER, Role.ADMIN}),
    ),
    NavItem(
        _l("Tờ trình của đơn vị"), "dossiers.index", frozenset({Role.UNIT_CLERK, Role.UNIT_HEAD})
    ),
    NavItem(_l("Nhập từ Excel"), "bulk.index", frozenset({Role.UNIT_CLERK, Role.UNIT_HEAD})),
    NavItem(_l("Tiếp nhận hồ sơ"), "intake.index", frozenset({Role.BOARD})),
    NavItem(_l("Chấm điểm"), "reviews.index", frozenset({Role.REVIEWER})),
    NavItem(_l("Phân công chấm điểm"), "assignments.index", frozenset({Role.BOARD}), SELECTION),
    NavItem(_l("Xếp hạng"), "ranking.index", frozenset({Role.BOARD, Role.APPROVER}), SELECTION),
    NavItem(_l("Họp Hội đồng"), "ballots.index", frozenset({Role.BOARD, Role.REVIEWER}), SELECTION),
    NavItem(
        _l("Công khai, lấy ý kiến"),
        "disclosure.comments",
        frozenset({Role.BOARD, Role.APPROVER}),
        AWARDING,
    ),
    NavItem(
        _l("Phê duyệt"), "decisions.approval", frozenset({Role.BOARD, Role.APPROVER}), AWARDING
    ),
    NavItem(
        _l("Quyết định khen thưởng"),
        "decisions.index",
        frozenset({Role.BOARD, Role.APPROVER}),
        AWARDING,
    ),
    NavItem(_l("Mẫu giấy chứng nhận"), "certificates.templates", frozenset({Role.BOARD}), AWARDING),
    NavItem(
        _l("In giấy chứng nhận"),
        "printing.index",
        frozenset({Role.BOARD, Role.APPROVER}),
        AWARDING,
    ),
    NavItem(
        _l("Phong trào thi đua"),
        "campaigns.index",
        frozenset({Role.BOARD, Role.ADMIN, Role.APPROVER}),
    ),
    NavItem(_l("Danh sách đơn vị"), "units.index", frozenset({Role.ADMIN, Role.BOARD})),
    NavItem(_l("Tài khoản"), "users.index", frozenset({Role.ADMIN})),
    NavItem(_l("Nhật ký hệ thống"), "audit.index", frozenset({Role.ADMIN})),
]


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [item for item in NAV if current_user.has_role(*item.roles)]


def nav_menu(items: list[NavItem]) -> list[NavItem | NavGroup]:
    """The menu as shown: consecutive items of one group become a drop-down (a group with a single
    item the user may open is shown as that item)."""
    menu: list[NavItem | NavGroup] = []
    for item in items:
        last = menu[-1] if menu else None
        if item.group is not None and isinstance(last, NavGroup) and last.label == item.group:
            last.items.append(item)
        elif item.group is not None:
            menu.append(NavGroup(item.group, [item]))
        else:
            menu.append(item)
    return [m.items[0] if isinstance(m, NavGroup) and len(m.items) == 1 else m for m in menu]


def active_nav(items: list[NavItem]) -> str | None:
    """The endpoint of the menu item the current page belongs to: the one whose address is the longest
    prefix of the page's path ("/decisions/7" → "Quyết định", "/nominations/bulk/" → "Nhập từ Excel");
    else the first item of the page's blueprint."""
    path = request.path
    best: tuple[int, str] | None = None
    for item in items:
        url = url_for(item.endpoint)
        if path.startswith(url) and (best is None or len(url) > best[0]):
            best = (len(url), item.endpoint)
    if best is not None:
        return best[1]
    blueprint = (request.endpoint or "").split(".")[0]
    return next((i.endpoint for i in items if i.endpoint.split(".")[0] == blueprint), None)


def init_app(app: Flask) -> None:
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_timestamp, "timestamp")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_points, "points")

    @app.context_processor
    def inject() -> dict[str, object]:
        return {
            "nav_items": nav_items,
            "active_nav": active_nav,
            "nav_menu": nav_menu,
            "role_labels": labels.ROLE_LABELS,
            "phase_labels": labels.PHASE_LABELS,
            "unit_kind_labels": labels.UNIT_KIND_LABELS,
            "applies_to_labels": labels.APPLIES_TO_LABELS,
            "award_type_labels": labels.AWARD_TYPE_LABELS,
            "language_form": LanguageForm,
            "confirm_form": ConfirmForm,
            "current_locale": lambda: str(get_locale() or "vi"),
            "current_path": lambda: request.full_path.rstrip("?"),
            "unread_notifications": lambda: notifications.unread_count(current_user),
            "url_for": url_for,
        }
