"""Accounts: authentication with lockout, user administration, password changes.

Services flush, never commit; the view (or CLI command) commits once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from awards import audit
from awards.extensions import db
from awards.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from awards.text import clean, like_pattern
from models import Role, Unit, User, utcnow


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; ``str(error)`` is for the user."""


class WrongPasswordError(AccountError):
    """The current password given for a change is not the user's password."""


class LoginOutcome(Enum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None


def authenticate(username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a username and password, counting failures on the user row.

    The row is updated with one atomic statement so that concurrent attempts from several processes
    cannot lose a count; after ``LOGIN_MAX_FAILURES`` failures the account is locked for
    ``LOGIN_LOCKOUT_MINUTES``. Records ``login`` / ``login_failed`` / ``login_locked`` audit events.
    """
    now = now or utcnow()
    username = clean(username).lower()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        dummy_verify(password)
        audit.record("login_failed", "users", None, after={"username": username[:64]})
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if user.is_locked(now):
        audit.record("login_locked", "users", user.id, actor=user)
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    if not verify_password(user.password_hash, password):
        _count_failure(user, now)
        db.session.refresh(user)
        audit.record("login_failed", "users", user.id, after={"failed_logins": user.failed_logins})
        if user.is_locked(now):
            return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if not user.active:
        audit.record("login_inactive", "users", user.id, actor=user)
        return LoginResult(LoginOutcome.INACTIVE)
    audit.attribute_request_to(user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", "users", user.id, actor=user)
    return LoginResult(LoginOutcome.OK, user)


def _count_failure(user: User, now: datetime) -> None:
    config = current_app.config
    limit = config["LOGIN_MAX_FAILURES"]
    lock_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    table = User.__table__
    audit.lock_chain(db.session.connection())  # before the user row's lock (see audit.lock_chain)
    # One statement: increment, and lock when this failure reaches the limit (reset the count then).
    db.session.execute(
        sa.update(table)
        .where(table.c.id == user.id)
        .values(
            failed_logins=sa.case(
                (table.c.failed_logins + 1 >= limit, 0), else_=table.c.failed_logins + 1
            ),
            locked_until=sa.case(
                (table.c.failed_logins + 1 >= limit, lock_until), else_=table.c.locked_until
            ),
        )
    )


def check_password_policy(password: str, username: str = "") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(str(_l("Mật khẩu phải có ít nhất %(n)d ký tự.", n=minimum)))
    if username and username.lower() in password.lower():
        raise AccountError(str(_l("Mật khẩu không được chứa tên đăng nhập.")))


def change_password(user: User, current: str, new: str) -> None:
    """Change ``user``'s password; every other session of the user ends (the session token rotates)."""
    if not verify_password(user.password_hash, current):
        raise WrongPasswordError(str(_l("Mật khẩu hiện tại không đúng.")))
    check_password_policy(new, user.username)
    set_password(user, new)
    audit.record("password_changed", "users", user.id)


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None
    rotate_session_token(user)


def rotate_session_token(user: User) -> None:
    """End every session of ``user`` (Flask-Login cookies carry this token, not the user id)."""
    user.session_token = secrets.token_urlsafe(32)


def load_user_by_token(token: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def _check_unit(unit_id: int | None, roles: set[Role]) -> Unit | None:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        raise AccountError(str(_l("Đơn vị không tồn tại.")))
    if roles & {Role.UNIT_CLERK, Role.UNIT_HEAD} and unit is None:
        raise AccountError(str(_l("Cán bộ thi đua và thủ trưởng đơn vị phải thuộc một đơn vị.")))
    return unit


def create_user(
    *,
    username: str,
    full_name: str,
    password: str,
    roles: set[Role],
    unit_id: int | None = None,
    email: str | None = None,
    must_change_password: bool = True,
) -> User:
    """Create an account. Raises ``AccountError`` for a taken username, a weak password or a missing unit."""
    username = clean(username).lower()
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise AccountError(str(_l("Tên đăng nhập “%(u)s” đã được dùng.", u=username)))
    check_password_policy(password, username)
    unit = _check_unit(unit_id, roles)
    user = User(
        username=username,
        full_name=clean(full_name),
        email=clean(email) or None,
        unit=unit,
        password_hash="",
    )
    set_password(user, password, must_change=must_change_password)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    audit.record("roles_set", "users", user.id, after={"roles": sorted(roles)})
    return user


def update_user(
    user: User,
    *,
    full_name: str,
    email: str | None,
    roles: set[Role],
    unit_id: int | None,
    locale: str,
) -> None:
    """Change an account's details and roles; a change of roles or unit ends the user's sessions."""
    unit = _check_unit(unit_id, roles)
    old_roles = set(user.roles)
    if old_roles != roles or user.unit_id != (unit.id if unit else None):
        rotate_session_token(user)
    user.full_name = clean(full_name)
    user.email = clean(email) or None
    user.unit = unit
    user.locale = locale
    if old_roles != roles:
        user.set_roles(roles)
        audit.record(
            "roles_set",
            "users",
            user.id,
            before={"roles": sorted(old_roles)},
            after={"roles": sorted(roles)},
        )


def set_active(user: User, active: bool, by: User) -> None:
    """Deactivate (or reactivate) an account. Accounts are never deleted: the trail refers to them."""
    if user.id == by.id and not active:
        raise AccountError(str(_l("Bạn không thể tự khóa tài khoản của mình.")))
    user.active = active
    if not active:
        rotate_session_token(user)


def unlock(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


def search_users(
    query: str = "", role: Role | None = None, active: bool | None = None
) -> sa.Select:
    stmt = sa.select(User).order_by(User.username)
    if query:
        pattern = like_pattern(query)
        stmt = stmt.where(
            sa.or_(
                User.search_name.like(pattern, escape="\\"),
                User.username.like(pattern, escape="\\"),
            )
        )
    if role is not None:
        stmt = stmt.where(User.role_rows.any(role=role))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return stmt
