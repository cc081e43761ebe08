"""SQLAlchemy 2.0 typed models.

The database carries the invariants it can: NOT NULL, UNIQUE, CHECK and foreign keys. Enums are stored as
strings with a CHECK constraint (portable between SQLite and PostgreSQL). Small predicates (``can_*``,
``is_*``) live beside the data they read; everything that changes state lives in ``awards/`` services.
"""

from __future__ import annotations

import enum
import json
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awards.extensions import db
from awards.text import fold


def utcnow() -> datetime:
    """Naive UTC timestamp (stored without zone on both databases, so values round-trip exactly)."""
    return datetime.now(UTC).replace(tzinfo=None)


def str_enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


# --------------------------------------------------------------------------- enums


class Role(enum.StrEnum):
    UNIT_CLERK = "unit_clerk"
    UNIT_HEAD = "unit_head"
    REVIEWER = "reviewer"
    BOARD = "board"
    APPROVER = "approver"
    ADMIN = "admin"


class UnitKind(enum.StrEnum):
    PROVINCE = "province"  # the province itself (root of the tree)
    PROVINCIAL_BODY = "provincial_body"
    DISTRICT = "district"
    COMMUNE = "commune"
    ENTERPRISE = "enterprise"
    OTHER = "other"


class RecipientKind(enum.StrEnum):
    COLLECTIVE = "collective"
    INDIVIDUAL = "individual"


class AppliesTo(enum.StrEnum):
    COLLECTIVE = "collective"
    INDIVIDUAL = "individual"
    BOTH = "both"

    def includes(self, kind: RecipientKind) -> bool:
        return self is AppliesTo.BOTH or self.value == kind.value


class AwardType(enum.StrEnum):
    """DOMAIN.md §2: a thematic-campaign award does not count toward later merit awards."""

    CAMPAIGN = "campaign"
    MERIT = "merit"


class Aggregation(enum.StrEnum):
    MEAN = "mean"
    MEDIAN = "median"


class BallotBase(enum.StrEnum):
    ALL_MEMBERS = "all_members"
    VOTING = "voting"


class RoundPhase(enum.StrEnum):
    SETUP = "setup"
    NOMINATING = "nominating"
    REVIEWING = "reviewing"
    COUNCIL = "council"
    DISCLOSURE = "disclosure"
    APPROVING = "approving"
    DECIDED = "decided"
    CLOSED = "closed"


# --------------------------------------------------------------------------- units and users


class Unit(db.Model):
    """An agency, locality or enterprise. A tree with validity dates: organisations merge and rename."""

    __tablename__ = "units"
    __table_args__ = (
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    search_name: Mapped[str] = mapped_column(sa.String(255), index=True)
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, "unit_kind"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    valid_from: Mapped[date] = mapped_column(sa.Date, default=date(2000, 1, 1))
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")

    __audited__ = True

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def is_retired(self) -> bool:
        return self.valid_to is not None and self.valid_to < date.today()


@sa.event.listens_for(Unit.name, "set", retval=False)
def _unit_search_name(target: Unit, value: str, oldvalue: object, initiator: object) -> None:
    target.search_name = fold(value or "")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_nonneg"),
        sa.CheckConstraint("locale IN ('vi', 'en')", name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(255))
    search_name: Mapped[str] = mapped_column(sa.String(255), index=True, default="")
    email: Mapped[str | None] = mapped_column(sa.String(255))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    # Rotated on logout-everywhere and password change: Flask-Login sessions carry it, not the id.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", back_populates="user", lazy="selectin"
    )

    __audited__ = True
    __audit_exclude__ = frozenset({"password_hash", "session_token", "search_name"})

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    # Flask-Login
    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[Role]) -> None:
        current = {r.role: r for r in self.role_rows}
        for role, row in current.items():
            if role not in roles:
                self.role_rows.remove(row)
        for role in roles - set(current):
            self.role_rows.append(UserRole(role=role))

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@sa.event.listens_for(User.full_name, "set", retval=False)
def _user_search_name(target: User, value: str, oldvalue: object, initiator: object) -> None:
    target.search_name = fold(value or "")


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


# --------------------------------------------------------------------------- campaign setup


class Campaign(db.Model):
    """A phong trào thi đua: its legal basis, criteria and award forms."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period"),
        sa.CheckConstraint("min_reviews >= 1", name="min_reviews"),
        sa.CheckConstraint("total_points > 0", name="total_points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(500))
    plan_reference: Mapped[str] = mapped_column(sa.String(500), default="")
    organiser: Mapped[str] = mapped_column(sa.String(255), default="")
    standing_body: Mapped[str] = mapped_column(sa.String(255), default="")
    issuing_body: Mapped[str] = mapped_column(sa.String(255), default="")
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")
    period_start: Mapped[date]
    period_end: Mapped[date]
    aggregation: Mapped[Aggregation] = mapped_column(
        str_enum(Aggregation, "aggregation"), default=Aggregation.MEAN
    )
    min_reviews: Mapped[int] = mapped_column(default=3)
    total_points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(100))
    # A reviewer must comment where their score departs from the self-assessment by more than this.
    comment_margin: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rounds: Mapped[list[Round]] = relationship(
        back_populates="campaign", order_by="Round.ceremony_date", cascade="all, delete-orphan"
    )
    criterion_groups: Mapped[list[CriterionGroup]] = relationship(
        back_populates="campaign",
        order_by="(CriterionGroup.applies_to, CriterionGroup.position)",
        cascade="all, delete-orphan",
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="campaign", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    award_forms: Mapped[list[AwardForm]] = relationship(
        back_populates="campaign", order_by="AwardForm.position", cascade="all, delete-orphan"
    )

    __audited__ = True

    def __repr__(self) -> str:
        return f"<Campaign {self.code}>"

    @property
    def legal_basis_lines(self) -> list[str]:
        return [line.strip() for line in self.legal_basis.splitlines() if line.strip()]


class Round(db.Model):
    """One award cycle of a campaign (đợt xét), e.g. Ngày Chuyển đổi số 10/10/2025."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint("nomination_closes >= nomination_opens", name="nomination_window"),
        sa.CheckConstraint(
            "review_deadline IS NULL OR review_deadline >= nomination_closes",
            name="review_deadline",
        ),
        sa.CheckConstraint("ceremony_date >= nomination_closes", name="ceremony_date"),
        sa.CheckConstraint(
            "disclosure_days IS NULL OR disclosure_days > 0", name="disclosure_days"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    nomination_opens: Mapped[date]
    nomination_closes: Mapped[date]
    review_deadline: Mapped[date | None]
    ceremony_date: Mapped[date]
    disclosure_days: Mapped[int | None]  # working days of public comment; None = no disclosure
    # Set when the proposed list is published (awards/disclosure.py): comments are taken from
    # ``disclosure_starts`` to the end of ``disclosure_ends`` (working days, Vietnamese holidays excluded).
    disclosure_starts: Mapped[date | None]
    disclosure_ends: Mapped[date | None]
    phase: Mapped[RoundPhase] = mapped_column(
        str_enum(RoundPhase, "round_phase"), default=RoundPhase.SETUP
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="rounds")

    __audited__ = True

    def __repr__(self) -> str:
        return f"<Round {self.code}>"


class CriterionGroup(db.Model):
    __tablename__ = "criterion_groups"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "code", name="uq_criterion_groups_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(255))
    applies_to: Mapped[AppliesTo] = mapped_column(
        str_enum(AppliesTo, "group_applies_to"), default=AppliesTo.BOTH
    )
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="criterion_groups")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="group", order_by="Criterion.position"
    )

    __audited__ = True

    @property
    def max_points(self) -> Decimal:
        return sum((c.max_points for c in self.criteria), Decimal(0))


class Criterion(db.Model):
    __tablename__ = "criteria"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "code", name="uq_criteria_code"),
        sa.CheckConstraint("max_points > 0", name="max_points"),
        sa.CheckConstraint("weight > 0", name="weight"),
        sa.CheckConstraint("target_value IS NULL OR target_value > 0", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("criterion_groups.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(500))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3), default=Decimal(1))
    applies_to: Mapped[AppliesTo] = mapped_column(str_enum(AppliesTo, "criterion_applies_to"))
    target_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    target_unit: Mapped[str] = mapped_column(sa.String(32), default="")
    evidence_required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="criteria")
    group: Mapped[CriterionGroup] = relationship(back_populates="criteria")

    __audited__ = True

    @property
    def is_measurable(self) -> bool:
        return self.target_value is not None

    def suggested_points(self, actual: Decimal) -> Decimal:
        """points = max × min(actual / target, 1), rounded down to the 0.5 step (DESIGN.md §4)."""
        if self.target_value is None:
            raise ValueError("criterion has no measurable target")
        ratio = min(max(actual, Decimal(0)) / self.target_value, Decimal(1))
        raw = self.max_points * ratio
        return (raw * 2).to_integral_value(rounding="ROUND_FLOOR") / 2


# How a signer signs for someone else (Decree 30): ký thay, thay mặt, thừa lệnh, thừa ủy quyền.
SIGNER_PREFIXES = ("KT.", "TM.", "TL.", "TUQ.")


class AwardForm(db.Model):
    """A form of award within a campaign (Bằng khen của Chủ tịch UBND tỉnh, Giấy khen …)."""

    __tablename__ = "award_forms"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "code", name="uq_award_forms_code"),
        sa.CheckConstraint("for_collectives OR for_individuals", name="recipients"),
        sa.CheckConstraint("min_score >= 0", name="min_score"),
        sa.CheckConstraint("quota_total IS NULL OR quota_total >= 0", name="quota_total"),
        sa.CheckConstraint("quota_per_unit IS NULL OR quota_per_unit >= 0", name="quota_per_unit"),
        sa.CheckConstraint(
            "ballot_threshold > 0 AND ballot_threshold <= 100", name="ballot_threshold"
        ),
        sa.CheckConstraint(
            "cash_multiple_collective >= 0 AND cash_multiple_individual >= 0", name="cash"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(255))  # "Bằng khen của Chủ tịch UBND tỉnh"
    certificate_title: Mapped[str] = mapped_column(sa.String(64))  # "BẰNG KHEN"
    awarding_title: Mapped[str] = mapped_column(sa.String(255))  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH…"
    for_collectives: Mapped[bool] = mapped_column(default=True)
    for_individuals: Mapped[bool] = mapped_column(default=True)
    award_type: Mapped[AwardType] = mapped_column(
        str_enum(AwardType, "award_type"), default=AwardType.CAMPAIGN
    )
    min_score: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    quota_total: Mapped[int | None]
    quota_per_unit: Mapped[int | None]
    ballot_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(50))
    ballot_base: Mapped[BallotBase] = mapped_column(
        str_enum(BallotBase, "ballot_base"), default=BallotBase.VOTING
    )
    cash_multiple_collective: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    cash_multiple_individual: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    signer_prefix: Mapped[str] = mapped_column(sa.String(8), default="")  # KT. / TM. / TL. / ""
    signer_title: Mapped[str] = mapped_column(sa.String(255), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(255), default="")
    # The award decision's issuing body: its heading in the Decree 30 header (capitals, a line break
    # allowed) and the number's symbol ("QĐ-UBND"). Numbers are gapless per symbol and year.
    decision_issuer: Mapped[str] = mapped_column(
        sa.String(255), default="ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH"
    )
    decision_symbol: Mapped[str] = mapped_column(sa.String(32), default="QĐ-UBND")
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="award_forms")

    __audited__ = True

    def is_open_to(self, kind: RecipientKind) -> bool:
        return self.for_collectives if kind is RecipientKind.COLLECTIVE else self.for_individuals


# --------------------------------------------------------------------------- audit trail


class AuditEvent(db.Model):
    """Append-only, hash-chained record of every change made through the app (``awards/audit.py``).

    Database triggers (see the initial migration) refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(64), default="")
    client_addr: Mapped[str] = mapped_column(sa.String(64), default="")
    object_type: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_id: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    before: Mapped[str] = mapped_column(sa.Text, default="")  # canonical JSON
    after: Mapped[str] = mapped_column(sa.Text, default="")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    actor: Mapped[User | None] = relationship()

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) rows for display, from the stored canonical JSON."""

        before = json.loads(self.before) if self.before else {}
        after = json.loads(self.after) if self.after else {}
        return [
            (key, before.get(key), after.get(key)) for key in sorted(before.keys() | after.keys())
        ]


# --------------------------------------------------------------------------- nominations


class NominationState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    IN_REVIEW = "in_review"
    SCORED = "scored"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    AWARDED = "awarded"
    REVOKED = "revoked"


# States in which a nomination still counts against its unit's quota for the round.
QUOTA_STATES = frozenset(
    {
        NominationState.SUBMITTED,
        NominationState.IN_REVIEW,
        NominationState.SCORED,
        NominationState.PROPOSED,
        NominationState.APPROVED,
        NominationState.AWARDED,
    }
)
# States in which a nomination counts against its award form's total quota for the round, checked again
# when the approver approves (awards/quotas.py: take_total).
APPROVAL_STATES = frozenset({NominationState.APPROVED, NominationState.AWARDED})
# States in which the unit may still edit its nomination.
EDITABLE_STATES = frozenset({NominationState.DRAFT, NominationState.RETURNED})


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class StaffCategory(enum.StrEnum):
    LEADER = "leader"  # lãnh đạo, quản lý
    STAFF = "staff"  # công chức, viên chức, người lao động không giữ chức vụ


class Submission(db.Model):
    """A unit's dossier for a round (Tờ trình): the batch through which its head submits nominations."""

    __tablename__ = "submissions"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "unit_id", "number", name="uq_submissions_number"),
        sa.CheckConstraint("council_members > 0", name="council_members"),
        sa.CheckConstraint("votes_for >= 0 AND votes_for <= council_members", name="votes_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(64))  # "15/TTr-STTTT"
    signed_on: Mapped[date]
    signer_name: Mapped[str] = mapped_column(sa.String(255))
    signer_title: Mapped[str] = mapped_column(sa.String(255))
    minutes_date: Mapped[date]  # the unit council's meeting (biên bản)
    council_members: Mapped[int]
    votes_for: Mapped[int]
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The document as signed: the plain values of the Tờ trình and its list, frozen at submission so
    # that a nomination later returned and filed again elsewhere does not rewrite a signed document.
    document: Mapped[str] = mapped_column(sa.Text, default="")

    round: Mapped[Round] = relationship()
    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User] = relationship()
    nominations: Mapped[list[Nomination]] = relationship(
        back_populates="submission", order_by="Nomination.id"
    )
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="submission", order_by="EvidenceFile.id"
    )

    __audited__ = True


class Nomination(db.Model):
    """A proposal to award one collective or individual in a round (DESIGN.md §2).

    ``state`` changes only through ``awards.workflow.transition``. ``version`` is the optimistic lock:
    SQLAlchemy raises ``StaleDataError`` on a concurrent update, and forms carry it in a hidden field.
    """

    __tablename__ = "nominations"
    __table_args__ = (
        sa.CheckConstraint(
            "kind <> 'collective' OR (headcount IS NOT NULL AND headcount > 0)",
            name="collective_headcount",
        ),
        sa.CheckConstraint(
            "women_share IS NULL OR (women_share >= 0 AND women_share <= 100)", name="women_share"
        ),
        sa.CheckConstraint(
            "kind <> 'individual' OR (sex IS NOT NULL AND date_of_birth IS NOT NULL)",
            name="individual_details",
        ),
        sa.Index("ix_nominations_round_unit_state", "round_id", "unit_id", "state"),
        sa.Index("ix_nominations_round_state", "round_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    award_form_id: Mapped[int] = mapped_column(sa.ForeignKey("award_forms.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    kind: Mapped[RecipientKind] = mapped_column(str_enum(RecipientKind, "recipient_kind"))
    state: Mapped[NominationState] = mapped_column(
        str_enum(NominationState, "nomination_state"), default=NominationState.DRAFT
    )
    version: Mapped[int] = mapped_column(default=1)

    # The nominee. For a collective, ``nominee_name`` is the organisation; for an individual, the person.
    nominee_name: Mapped[str] = mapped_column(sa.String(255))
    search_name: Mapped[str] = mapped_column(sa.String(255), index=True, default="")
    nominee_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id")
    )  # parent / workplace
    headcount: Mapped[int | None]
    women_share: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "sex"))
    date_of_birth: Mapped[date | None]
    position: Mapped[str] = mapped_column(sa.String(255), default="")
    staff_category: Mapped[StaffCategory | None] = mapped_column(
        str_enum(StaffCategory, "staff_category")
    )
    workplace: Mapped[str] = mapped_column(sa.String(255), default="")
    citizen_id: Mapped[str | None] = mapped_column(sa.String(12), index=True)

    citation: Mapped[str] = mapped_column(sa.Text, default="")  # printed on the certificate
    report_profile: Mapped[str] = mapped_column(
        sa.Text, default=""
    )  # I. Đặc điểm / Sơ lược lý lịch
    report_achievements: Mapped[str] = mapped_column(sa.Text, default="")  # II. Thành tích đạt được
    report_measures: Mapped[str] = mapped_column(sa.Text, default="")  # biện pháp, sáng kiến
    duplicate_note: Mapped[str] = mapped_column(
        sa.Text, default=""
    )  # why it was flagged, if it was
    # A reason that bars the award while it stands (discipline, investigation, complaint pending:
    # DOMAIN.md §2). Set by the board; a nomination with a hold is never eligible in a ranking.
    hold_reason: Mapped[str] = mapped_column(sa.Text, default="")

    # Kept by awards/scoring.py whenever a review is submitted or reopened, so that rankings read one
    # row per nomination instead of aggregating every score row (mean or median per the campaign).
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 3))
    reviews_submitted: Mapped[int] = mapped_column(default=0)

    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]

    round: Mapped[Round] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    nominee_unit: Mapped[Unit | None] = relationship(foreign_keys=[nominee_unit_id])
    award_form: Mapped[AwardForm] = relationship()
    submission: Mapped[Submission | None] = relationship(back_populates="nominations")
    created_by: Mapped[User] = relationship()
    self_scores: Mapped[list[SelfScore]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan"
    )
    past_awards: Mapped[list[PastAward]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan", order_by="PastAward.year"
    )
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="nomination", order_by="EvidenceFile.id"
    )
    events: Mapped[list[NominationEvent]] = relationship(
        back_populates="nomination", order_by="NominationEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True

    def __repr__(self) -> str:
        return f"<Nomination {self.reference or self.id} {self.state}>"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def self_total(self) -> Decimal:
        return sum((s.points for s in self.self_scores), Decimal(0))


@sa.event.listens_for(Nomination.nominee_name, "set", retval=False)
def _nomination_search_name(
    target: Nomination, value: str, oldvalue: object, initiator: object
) -> None:
    target.search_name = fold(value or "")


class SelfScore(db.Model):
    """The unit's self-assessed points for one criterion, and the figure it reports if measurable."""

    __tablename__ = "self_scores"
    __table_args__ = (
        sa.UniqueConstraint("nomination_id", "criterion_id", name="uq_self_scores_criterion"),
        sa.CheckConstraint("points >= 0", name="points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        sa.ForeignKey("nominations.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    reported_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))

    nomination: Mapped[Nomination] = relationship(back_populates="self_scores")
    criterion: Mapped[Criterion] = relationship()


class PastAward(db.Model):
    """III. Các hình thức đã được khen thưởng: year, form, decision number."""

    __tablename__ = "past_awards"
    __table_args__ = (sa.CheckConstraint("year >= 1945 AND year <= 2100", name="year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        sa.ForeignKey("nominations.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    form: Mapped[str] = mapped_column(sa.String(255))
    decision_number: Mapped[str] = mapped_column(sa.String(128), default="")

    nomination: Mapped[Nomination] = relationship(back_populates="past_awards")


class EvidenceFile(db.Model):
    """An uploaded file: evidence of a nomination, or the unit council's minutes of a submission.

    Stored under ``storage_key`` (generated; never the user's name) by ``awards.storage``.
    """

    __tablename__ = "evidence_files"
    __table_args__ = (
        sa.CheckConstraint(
            "(nomination_id IS NOT NULL) <> (submission_id IS NOT NULL)", name="one_owner"
        ),
        sa.CheckConstraint("size_bytes > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nominations.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("criteria.id"))
    storage_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))  # NFC, as the user named it
    content_type: Mapped[str] = mapped_column(sa.String(128))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[
        datetime | None
    ]  # removed from the dossier; the bytes are kept for the trail

    nomination: Mapped[Nomination | None] = relationship(back_populates="files")
    submission: Mapped[Submission | None] = relationship(back_populates="files")
    criterion: Mapped[Criterion | None] = relationship()
    uploaded_by: Mapped[User] = relationship()

    __audited__ = True


class NominationEvent(db.Model):
    """The visible history of a nomination: every transition, who made it and why."""

    __tablename__ = "nomination_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        sa.ForeignKey("nominations.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[NominationState | None] = mapped_column(
        str_enum(NominationState, "event_from_state")
    )
    to_state: Mapped[NominationState] = mapped_column(str_enum(NominationState, "event_to_state"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    nomination: Mapped[Nomination] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Extension(db.Model):
    """The board lets one unit file after a round's deadline, until ``until``."""

    __tablename__ = "extensions"
    __table_args__ = (sa.UniqueConstraint("round_id", "unit_id", name="uq_extensions_round_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    until: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    granted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship()
    unit: Mapped[Unit] = relationship()

    __audited__ = True


class QuotaUsage(db.Model):
    """How many nominations a unit has submitted for an award form in a round.

    Incremented with one conditional UPDATE (``used < limit``) so that concurrent submissions can never
    exceed the quota, on SQLite and PostgreSQL alike (``awards/quotas.py``).
    """

    __tablename__ = "quota_usage"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "award_form_id", "unit_id", name="uq_quota_usage_key"),
        sa.CheckConstraint("used >= 0", name="used"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"))
    award_form_id: Mapped[int] = mapped_column(sa.ForeignKey("award_forms.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    used: Mapped[int] = mapped_column(default=0)


# --------------------------------------------------------------------------- reviews and council


class ReviewState(enum.StrEnum):
    ASSIGNED = "assigned"  # the slot is given; nothing saved yet
    DRAFT = "draft"  # scores saved, not yet submitted
    SUBMITTED = "submitted"  # counts in the nomination's score; reopened only by the board
    RECUSED = "recused"  # the reviewer declared a conflict of interest; the slot is free again


class Review(db.Model):
    """One council member's review of one nomination: the assignment and the review in one row.

    ``total`` (the weighted sum of the scores) is kept when the review is submitted. ``version`` is the
    optimistic lock: two concurrent submissions of one review cannot both win.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("nomination_id", "reviewer_id", name="uq_reviews_nomination_reviewer"),
        sa.CheckConstraint(
            "state <> 'submitted' OR (total IS NOT NULL AND submitted_at IS NOT NULL)",
            name="submitted_total",
        ),
        sa.Index("ix_reviews_reviewer_state", "reviewer_id", "state"),
        sa.Index("ix_reviews_nomination_state", "nomination_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[ReviewState] = mapped_column(
        str_enum(ReviewState, "review_state"), default=ReviewState.ASSIGNED
    )
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    recusal_reason: Mapped[str] = mapped_column(sa.Text, default="")
    total: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 3))
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    nomination: Mapped[Nomination] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    scores: Mapped[list[Score]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="Score.criterion_id"
    )

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True


class Score(db.Model):
    """A reviewer's points for one criterion (0..max in steps of 0.5), with an optional comment."""

    __tablename__ = "scores"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "criterion_id", name="uq_scores_review_criterion"),
        sa.CheckConstraint("points >= 0", name="points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class BallotState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Attendance(enum.StrEnum):
    PRESENT = "present"
    WRITTEN = "written"  # absent, gave a written opinion (counts as a vote, not as presence)
    ABSENT = "absent"


class Ballot(db.Model):
    """A council session for a round (DOMAIN.md §3.4): attendance, quorum, one vote per member and
    nomination; the tally is compared with each award form's threshold."""

    __tablename__ = "ballots"
    __table_args__ = (
        sa.CheckConstraint("quorum_percent > 0 AND quorum_percent <= 100", name="quorum_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(sa.String(255), default="")
    chair_name: Mapped[str] = mapped_column(sa.String(255), default="")
    secretary_name: Mapped[str] = mapped_column(sa.String(255), default="")
    quorum_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(80))
    state: Mapped[BallotState] = mapped_column(
        str_enum(BallotState, "ballot_state"), default=BallotState.OPEN
    )
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    round: Mapped[Round] = relationship()
    members: Mapped[list[BallotMember]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", order_by="BallotMember.id"
    )

    __audited__ = True


class BallotMember(db.Model):
    __tablename__ = "ballot_members"
    __table_args__ = (sa.UniqueConstraint("ballot_id", "user_id", name="uq_ballot_members_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("ballots.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    attendance: Mapped[Attendance] = mapped_column(
        str_enum(Attendance, "attendance"), default=Attendance.PRESENT
    )

    ballot: Mapped[Ballot] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    __audited__ = True


class BallotVote(db.Model):
    __tablename__ = "ballot_votes"
    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "nomination_id", "user_id", name="uq_ballot_votes_member"),
        sa.Index("ix_ballot_votes_ballot_nomination", "ballot_id", "nomination_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("ballots.id", ondelete="CASCADE"))
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approve: Mapped[bool]
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)

    __audited__ = True


class Notification(db.Model):
    """An in-app message to one user (reminders, outcomes); e-mail later goes through an outbox."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


# --------------------------------------------------------------------------- approval and decisions


class Counter(db.Model):
    """A named counter moved only by single atomic UPDATEs (``awards/numbering.py``, ``awards/quotas.py``).

    Keys: ``decision:<symbol>:<year>`` and ``goldenbook:<symbol>:<year>`` (numbers, gapless because they
    are taken inside the issuing transaction), ``approved:<round id>:<award form id>`` (total quota).
    """

    __tablename__ = "counters"
    __table_args__ = (sa.CheckConstraint("value >= 0", name="value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(96), unique=True)
    value: Mapped[int] = mapped_column(default=0)


class DecisionState(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    REVOKED = "revoked"


class Decision(db.Model):
    """An award decision (Quyết định) of one award form in a round (DESIGN.md §2, DOMAIN.md §5).

    A draft is edited by the board and previewed; issuing (the approver) takes the number, freezes the
    document (``document``: the plain data the PDF was rendered from), stores the PDF and its SHA-256,
    and makes everything here immutable. Revocation records who, when, why and the revoking act; nothing
    is deleted.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        sa.UniqueConstraint("symbol", "year", "seq", name="uq_decisions_symbol_year_seq"),
        sa.CheckConstraint("state = 'draft' OR seq IS NOT NULL", name="issued_has_number"),
        sa.Index("ix_decisions_round_state", "round_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"))
    award_form_id: Mapped[int] = mapped_column(sa.ForeignKey("award_forms.id"))
    state: Mapped[DecisionState] = mapped_column(
        str_enum(DecisionState, "decision_state"), default=DecisionState.DRAFT
    )
    symbol: Mapped[str] = mapped_column(sa.String(32))  # "QĐ-UBND"
    year: Mapped[int]
    seq: Mapped[int | None]  # taken at issue
    number: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # "1234/QĐ-UBND"
    signed_on: Mapped[date]
    issuer: Mapped[str] = mapped_column(sa.String(255))  # header heading, capitals, may hold "\n"
    authority: Mapped[str] = mapped_column(
        sa.String(255)
    )  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH"
    subject: Mapped[str] = mapped_column(sa.Text)
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")  # one "Căn cứ …" per line
    proposal: Mapped[str] = mapped_column(sa.Text, default="")  # "Theo đề nghị của …"
    executors: Mapped[str] = mapped_column(sa.Text, default="")  # who executes it (Điều 3)
    recipients: Mapped[str] = mapped_column(sa.Text, default="")  # "Nơi nhận", one per line
    signer_prefix: Mapped[str] = mapped_column(
        sa.String(8), default=""
    )  # KT. / TM. / TL. / TUQ. / ""
    signer_head_title: Mapped[str] = mapped_column(
        sa.String(255), default=""
    )  # "CHỦ TỊCH" after KT.
    signer_title: Mapped[str] = mapped_column(sa.String(255), default="")  # "PHÓ CHỦ TỊCH"
    signer_name: Mapped[str] = mapped_column(sa.String(255), default="")
    base_salary: Mapped[Decimal] = mapped_column(sa.Numeric(14, 0))
    document: Mapped[str] = mapped_column(sa.Text, default="")  # frozen JSON at issue
    pdf_key: Mapped[str | None] = mapped_column(sa.String(128))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")
    revoke_reference: Mapped[str] = mapped_column(sa.String(255), default="")
    version: Mapped[int] = mapped_column(default=1)

    round: Mapped[Round] = relationship()
    award_form: Mapped[AwardForm] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    items: Mapped[list[DecisionItem]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="DecisionItem.position"
    )

    __mapper_args__ = {"version_id_col": version}
    __audited__ = True
    __audit_exclude__ = frozenset({"document"})

    def __repr__(self) -> str:
        return f"<Decision {self.number or self.id} {self.state}>"

    @property
    def is_draft(self) -> bool:
        return self.state is DecisionState.DRAFT


class DecisionItem(db.Model):
    """One awarded collective or individual of a decision: a row of its annex.

    ``position`` is the order in the annex (collectives first); ``golden_book`` is taken at issue, in
    that order, from the issuing body's gapless yearly sequence (the "Số sổ vàng" of the certificate).
    """

    __tablename__ = "decision_items"
    __table_args__ = (
        sa.UniqueConstraint("decision_id", "position", name="uq_decision_items_position"),
        sa.CheckConstraint("cash >= 0", name="cash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("decisions.id", ondelete="CASCADE"))
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nominations.id"), unique=True)
    position: Mapped[int]
    kind: Mapped[RecipientKind] = mapped_column(str_enum(RecipientKind, "item_kind"))
    name: Mapped[str] = mapped_column(sa.String(255))
    place: Mapped[str] = mapped_column(
        sa.String(500), default=""
    )  # position and unit / parent unit
    citation: Mapped[str] = mapped_column(sa.Text, default="")
    cash: Mapped[Decimal] = mapped_column(sa.Numeric(14, 0), default=Decimal(0))
    golden_book: Mapped[int | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")
    revoke_reference: Mapped[str] = mapped_column(sa.String(255), default="")

    decision: Mapped[Decision] = relationship(back_populates="items")
    nomination: Mapped[Nomination] = relationship()
    certificate: Mapped[Certificate | None] = relationship(back_populates="item", uselist=False)

    __audited__ = True


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Certificate(db.Model):
    """The certificate of one awarded item: created when the decision is issued, printed later.

    ``code`` is the public verification code (``/verify/<code>``): random, never changed once printed.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("decision_items.id"), unique=True)
    serial: Mapped[str] = mapped_column(sa.String(48), unique=True)
    code: Mapped[str] = mapped_column(sa.String(48), unique=True)
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, "certificate_status"), default=CertificateStatus.VALID
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")
    template_version: Mapped[int | None]  # of the last print
    params: Mapped[str] = mapped_column(
        sa.Text, default=""
    )  # JSON the last print was rendered from
    printed_count: Mapped[int] = mapped_column(default=0)
    last_printed_at: Mapped[datetime | None]

    item: Mapped[DecisionItem] = relationship(back_populates="certificate")

    __audited__ = True
    # Printing is logged in ``certificate_prints`` (who, when, why): the counters it moves here would
    # only repeat that log in the audit trail, one row per certificate of every batch.
    __audit_exclude__ = frozenset(
        {"params", "printed_count", "last_printed_at", "template_version"}
    )


class PublicComment(db.Model):
    """A comment received from the public during a round's disclosure window, and the board's answer."""

    __tablename__ = "public_comments"
    __table_args__ = (sa.Index("ix_public_comments_round", "round_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"))
    nomination_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nominations.id"))
    name: Mapped[str] = mapped_column(sa.String(255))
    contact: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    client_addr: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]

    round: Mapped[Round] = relationship()
    nomination: Mapped[Nomination | None] = relationship()
    answered_by: Mapped[User | None] = relationship()

    __audited__ = True


class OutboxMessage(db.Model):
    """An e-mail waiting to be sent (``awards/outbox.py``): written in the transaction of the change it
    reports, so a rolled-back change sends nothing."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


# --------------------------------------------------------------------------- certificate printing


class CertificateMode(enum.StrEnum):
    FULL = "full"  # border, emblem and all text: digital copies, plain paper
    BLANK = "blank"  # only the variable text at calibrated positions: pre-printed blanks (phôi)


class CertificateTemplate(db.Model):
    """One version of an award form's certificate template (DOMAIN.md §6). Versions are never edited:
    saving makes a new version, and each print records the version it used.

    ``body`` is the full design's HTML, a sandboxed Jinja template that may use only the placeholders of
    ``exports.certificates.PLACEHOLDERS``; ``positions`` (JSON) places each variable field on a blank,
    in millimetres from the top-left corner of the page.
    """

    __tablename__ = "certificate_templates"
    __table_args__ = (
        sa.UniqueConstraint("award_form_id", "version", name="uq_certificate_templates_version"),
        sa.CheckConstraint("page_width_mm > 0 AND page_height_mm > 0", name="page_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_form_id: Mapped[int] = mapped_column(sa.ForeignKey("award_forms.id"), index=True)
    version: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    positions: Mapped[str] = mapped_column(sa.Text)  # JSON: {field: {x, y, w, size, align, …}}
    page_width_mm: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1), default=Decimal(297))
    page_height_mm: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1), default=Decimal(210))
    note: Mapped[str] = mapped_column(sa.String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    award_form: Mapped[AwardForm] = relationship()

    __audited__ = True


class Printer(db.Model):
    """A printer's offset for pre-printed blanks: every field moves by (x, y) millimetres."""

    __tablename__ = "printers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    offset_x_mm: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), default=Decimal(0))
    offset_y_mm: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __audited__ = True


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    """A background job (``awards/jobs.py``): its state and progress live here, in the database, so any
    process can show them whichever queue runs the job (in-process thread or Redis workers)."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_kind_created", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON
    state: Mapped[JobState] = mapped_column(
        str_enum(JobState, "job_state"), default=JobState.QUEUED
    )
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    progress: Mapped[str] = mapped_column(
        sa.Text, default="{}"
    )  # JSON: what a resumed run can skip
    result_key: Mapped[str | None] = mapped_column(sa.String(128))
    result_name: Mapped[str] = mapped_column(sa.String(255), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()


class CertificatePrint(db.Model):
    """One printing of one certificate: who, when, why (a reprint needs a reason), in which mode, with
    which template version and parameters. A job prints a certificate once, however often it is resumed."""

    __tablename__ = "certificate_prints"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "certificate_id", name="uq_certificate_prints_job"),
        sa.Index("ix_certificate_prints_certificate", "certificate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id"))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    mode: Mapped[CertificateMode] = mapped_column(str_enum(CertificateMode, "print_mode"))
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate_templates.id"))
    printer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("printers.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    printed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)

    certificate: Mapped[Certificate] = relationship()
    template: Mapped[CertificateTemplate | None] = relationship()
    printed_by: Mapped[User | None] = relationship()
