"""Vietnamese dates and numbers in templates, and the navigation each role sees."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from awards import templating
from models import Role
from tests.conftest import login


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2025, 10, 10), "ngày 10 tháng 10 năm 2025"),
        (date(2025, 2, 5), "ngày 05 tháng 02 năm 2025"),
        (date(2025, 1, 31), "ngày 31 tháng 01 năm 2025"),
        (date(2025, 3, 9), "ngày 09 tháng 3 năm 2025"),
    ],
)
def test_long_dates_follow_decree_30(day, text):
    assert templating.long_date(day) == text


def test_days_and_timestamps(app):
    assert templating.format_day(date(2025, 10, 9)) == "09/10/2025"
    assert templating.format_day(datetime(2025, 10, 9, 23, 59)) == "09/10/2025"
    assert templating.format_day(None) == ""
    with app.test_request_context():
        # Stored in UTC, shown in Vietnam's time (UTC+7).
        assert templating.format_timestamp(datetime(2025, 10, 9, 20, 30)) == "10/10/2025 03:30"
        assert templating.format_timestamp(None) == ""


def test_numbers_in_vietnamese_and_english(app):
    with app.test_request_context():
        assert templating.format_number(7020000) == "7.020.000"
        assert templating.format_number(Decimal("1234.5"), 1) == "1.234,5"
        assert templating.format_points(Decimal("12.50")) == "12,5"
        assert templating.format_points(Decimal("10.00")) == "10"
        assert templating.format_number(None) == templating.format_points(None) == ""
        with force_locale("en"):
            assert templating.format_number(7020000) == "7,020,000"
            assert templating.format_points(Decimal("12.5")) == "12.5"


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.UNIT_CLERK, ["/nominations/", "/dossiers/", "/nominations/bulk/"]),
        (Role.UNIT_HEAD, ["/nominations/", "/dossiers/", "/nominations/bulk/"]),
        (Role.REVIEWER, ["/reviews/", "/ballots/"]),
        (
            Role.BOARD,
            [
                "/nominations/",
                "/intake/",
                "/assignments/",
                "/ranking/",
                "/ballots/",
                "/disclosure/comments",
                "/approval/",
                "/decisions/",
                "/certificates/templates",
                "/printing/",
                "/campaigns/",
                "/admin/units/",
            ],
        ),
        (
            Role.APPROVER,
            [
                "/nominations/",
                "/ranking/",
                "/disclosure/comments",
                "/approval/",
                "/decisions/",
                "/printing/",
                "/campaigns/",
            ],
        ),
        (
            Role.ADMIN,
            ["/nominations/", "/campaigns/", "/admin/units/", "/admin/users/", "/admin/audit/"],
        ),
    ],
)
def test_navigation_shows_what_the_role_may_open(client, db, make_user, role, links):
    make_user(role, username="nguoidung")
    login(client, "nguoidung")
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('<ul class="navbar-nav') : html.index("</ul>", html.index("navbar-nav"))]
    assert re.findall(r'href="([^"]+)"', nav) == links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_no_navigation_for_a_visitor(client):
    html = client.get("/login").get_data(as_text=True)
    nav = html[html.index('<ul class="navbar-nav') : html.index("</ul>", html.index("navbar-nav"))]
    assert re.findall(r'href="([^"]+)"', nav) == []
