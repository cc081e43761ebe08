"""The test world: one of each object, built directly with the models in an empty database.

Access rules name these objects in ``url_args`` (``{"user_id": "user"}``): the matrix puts the object's id in
the URL, or one of its attributes with a dotted name (``{"code": "round.code"}``).

| name | object |
|---|---|
| ``province`` | the root unit (kind province) |
| ``unit`` | a district under the province; the unit users below belong to it |
| ``unit_clerk`` ``unit_head`` | users of ``unit`` with that role |
| ``reviewer`` ``board`` ``approver`` ``admin`` | province-level users with that role |
| ``user`` | a spare account (reviewer) for the ``/admin/users/<user_id>`` routes |
| ``campaign`` | a campaign with one ``group``, one ``criterion``, one ``award_form``, one ``round`` |
| ``nomination`` | a draft collective nomination of ``unit`` in ``round`` (which is open for filing) |
| ``evidence_file`` | a PDF attached to ``nomination``, its bytes in the app's storage |
| ``submission`` | a Tờ trình of ``unit`` in ``round`` (signed by ``unit_head``; no nominations) |
| ``extension`` | the board's extension of ``round``'s filing window for ``unit`` (already over) |
| ``review`` | ``reviewer``'s review of ``nomination`` (assigned, nothing scored) |
| ``ballot`` | an open council session of ``round``; ``reviewer`` its only member (present) |
| ``public_comment`` | a comment from the public on ``round`` (not answered; ``round`` is not published) |
| ``decision`` | an issued decision of ``award_form`` in ``round`` (01/QĐ-UBND), its PDF really in storage |
| ``decision_item`` | ``decision``'s one item: ``awarded_nomination`` (a collective of ``unit``), with a certificate |
| ``draft_decision`` | a draft decision of ``award_form`` in ``round``, without items |
| ``certificate`` | ``decision_item``'s certificate, verification code ``VERIFY_CODE`` |
| ``printer`` | a printer for pre-printed blanks (offset 1.5 mm across) |
| ``print_job`` | the board's finished print job of ``decision`` (one PDF), its result really in storage |

A reference starting with ``=`` is a literal value: ``{"action": "=withdraw"}`` puts ``withdraw`` in the URL.

Every user logs in with ``tests.conftest.PASSWORD`` under the username of its name (``board`` …).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest

from awards.extensions import db
from awards.passwords import hash_password
from awards.storage import get_storage
from models import (
    AppliesTo,
    AwardForm,
    Ballot,
    BallotMember,
    Campaign,
    Certificate,
    Criterion,
    CriterionGroup,
    Decision,
    DecisionItem,
    DecisionState,
    EvidenceFile,
    Extension,
    Job,
    JobState,
    Nomination,
    NominationState,
    Notification,
    Printer,
    PublicComment,
    RecipientKind,
    Review,
    Role,
    Round,
    RoundPhase,
    Submission,
    Unit,
    UnitKind,
    User,
)
from tests.conftest import PASSWORD

ROLE_USERS = {
    "unit_clerk": ("Nguyễn Thị Cán Bộ", Role.UNIT_CLERK),
    "unit_head": ("Trần Văn Thủ Trưởng", Role.UNIT_HEAD),
    "reviewer": ("Lê Thị Hội Đồng", Role.REVIEWER),
    "board": ("Phạm Văn Thi Đua", Role.BOARD),
    "approver": ("Hoàng Văn Phê Duyệt", Role.APPROVER),
    "admin": ("Vũ Thị Quản Trị", Role.ADMIN),
    "user": ("Đỗ Văn Dự Phòng", Role.REVIEWER),
}


class World(dict):
    """Objects by name; ``resolve("round")`` is the round's id, ``resolve("round.code")`` its code."""

    def resolve(self, reference: str) -> object:
        if reference.startswith("="):
            return reference[1:]
        name, _, attribute = reference.partition(".")
        if name not in self:
            raise KeyError(f"the test world has no object named {name!r}; it has {sorted(self)}")
        return getattr(self[name], attribute or "id")

    def user(self, role: str) -> User | None:
        """The user who plays ``role`` in the matrix (``None`` for ``anonymous``)."""
        return None if role == "anonymous" else self[role]


def build_world() -> World:
    """Create and commit the world; the database is expected to be empty."""
    world = World()
    province = Unit(code="TINH", name="Ủy ban nhân dân tỉnh", kind=UnitKind.PROVINCE)
    unit = Unit(code="HUYEN", name="Ủy ban nhân dân huyện Yên Phong", kind=UnitKind.DISTRICT)
    unit.parent = province
    world.update(province=province, unit=unit)

    password_hash = hash_password(PASSWORD)
    for username, (full_name, role) in ROLE_USERS.items():
        user = User(
            username=username,
            full_name=full_name,
            password_hash=password_hash,
            unit=unit if role in (Role.UNIT_CLERK, Role.UNIT_HEAD) else None,
        )
        user.set_roles({role})
        world[username] = user

    campaign = Campaign(
        code="CDS-THU",
        name="Phong trào Chuyển đổi số (thử nghiệm)",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        legal_basis="Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
    )
    group = CriterionGroup(campaign=campaign, code="A", title="Chuyển đổi số trong cơ quan")
    criterion = Criterion(
        campaign=campaign,
        group=group,
        code="A1",
        title="Tỷ lệ hồ sơ xử lý trực tuyến",
        max_points=Decimal(10),
        applies_to=AppliesTo.BOTH,
    )
    award_form = AwardForm(
        campaign=campaign,
        code="BK",
        name="Bằng khen của Chủ tịch UBND tỉnh",
        certificate_title="BẰNG KHEN",
        awarding_title="CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",
    )
    round_ = Round(
        campaign=campaign,
        code="CDS2025",
        name="Ngày Chuyển đổi số 10/10/2025",
        nomination_opens=date(2025, 8, 1),
        nomination_closes=date(2025, 9, 15),
        review_deadline=date(2025, 9, 30),
        ceremony_date=date(2025, 10, 10),
        phase=RoundPhase.NOMINATING,
    )
    world.update(
        campaign=campaign, group=group, criterion=criterion, award_form=award_form, round=round_
    )
    world["nomination"] = Nomination(
        round=round_,
        unit=unit,
        award_form=award_form,
        kind=RecipientKind.COLLECTIVE,
        nominee_name="Phòng Văn hóa và Thông tin huyện Yên Phong",
        headcount=12,
        created_by=world["unit_clerk"],
        reference="CDS2025-000001",
    )
    world["evidence_file"] = _evidence_file(world["nomination"], world["unit_clerk"])
    world["review"] = Review(nomination=world["nomination"], reviewer=world["reviewer"])
    world["notification"] = Notification(
        user=world["admin"], message="Đồng chí còn 1 hồ sơ chưa chấm", link="/reviews/"
    )
    world["submission"] = Submission(
        round=round_,
        unit=unit,
        number="15/TTr-UBND",
        signed_on=date(2025, 9, 10),
        signer_name=ROLE_USERS["unit_head"][0],
        signer_title="CHỦ TỊCH",
        minutes_date=date(2025, 9, 8),
        council_members=7,
        votes_for=6,
        submitted_by=world["unit_head"],
    )
    db.session.add_all(world.values())
    db.session.commit()
    # Extension names its granter by id only: added once the board has one.
    world["extension"] = Extension(
        round=round_,
        unit=unit,
        until=date(2025, 9, 20),
        reason="Thử nghiệm",
        granted_by_id=world["board"].id,
    )
    db.session.add(world["extension"])
    # A council session of ``round`` (open), the world's reviewer its one member (present).
    world["ballot"] = Ballot(
        round=round_,
        title="Ngày Chuyển đổi số 10/10/2025",
        held_on=date(2025, 10, 3),
        created_by_id=world["board"].id,
        members=[BallotMember(user_id=world["reviewer"].id)],
    )
    db.session.add(world["ballot"])
    db.session.commit()
    # --- disclosure (tests/access_rules/disclosure.py): a public comment on ``round``. The round is
    # not published, so the public page of its list is 404 for everyone; the board's inbox still
    # lists the comment and answers it.
    world["public_comment"] = PublicComment(
        round=round_,
        name="Nguyễn Văn Dân",
        contact="0912 345 678",
        body="Ý kiến thử nghiệm về danh sách",
    )
    db.session.add(world["public_comment"])
    db.session.commit()
    # --- end disclosure
    # --- decisions (tests/access_rules/decisions.py): an issued decision with one awarded item and
    # a draft, both of ``award_form`` in ``round``.
    _add_decisions(world)
    # --- end decisions
    # --- certificates (tests/access_rules/certificates.py): a printer for the printer routes; the
    # certificate's code in the verification alphabet (Crockford base32: O, I and L are read as 0 and
    # 1, so the decisions block's "WORLD-CODE1-…" could never be found at /verify/<code>).
    world["certificate"].code = VERIFY_CODE
    world["printer"] = Printer(name="Máy in phòng Thi đua", offset_x_mm=Decimal("1.5"))
    db.session.add(world["printer"])
    db.session.commit()
    # --- end certificates
    # --- printing (tests/access_rules/printing.py): a finished print job of ``decision``.
    world["print_job"] = _print_job(world)
    db.session.add(world["print_job"])
    db.session.commit()
    # --- end printing
    return world


VERIFY_CODE = "W0RXD-C0DE1-00000-00001"  # certificates: the world certificate's verification code


WORLD_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


# --- decisions: the objects of tests/access_rules/decisions.py
def _add_decisions(world: World) -> None:
    round_, award_form = world["round"], world["award_form"]
    world["awarded_nomination"] = Nomination(
        round=round_,
        unit=world["unit"],
        award_form=award_form,
        kind=RecipientKind.COLLECTIVE,
        nominee_name="Phòng Nội vụ huyện Yên Phong",
        headcount=8,
        created_by=world["unit_clerk"],
        reference="CDS2025-000002",
        state=NominationState.AWARDED,
    )
    key = "world/decision-pdf"
    get_storage().put(key, BytesIO(WORLD_PDF))
    texts = {
        "round": round_,
        "award_form": award_form,
        "symbol": "QĐ-UBND",
        "year": 2025,
        "signed_on": date(2025, 10, 10),
        "issuer": "ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH",
        "authority": "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
        "subject": "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh",
        "legal_basis": "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
        "signer_title": "CHỦ TỊCH",
        "signer_name": "Nguyễn Văn Ký",
        "base_salary": Decimal(2340000),
        "created_by_id": world["board"].id,
    }
    world["decision"] = Decision(
        **texts,
        state=DecisionState.ISSUED,
        seq=1,
        number="01/QĐ-UBND",
        pdf_key=key,
        pdf_sha256=hashlib.sha256(WORLD_PDF).hexdigest(),
        issued_by_id=world["approver"].id,
    )
    world["decision_item"] = DecisionItem(
        decision=world["decision"],
        nomination=world["awarded_nomination"],
        position=1,
        kind=RecipientKind.COLLECTIVE,
        name="Phòng Nội vụ huyện Yên Phong",
        place="Ủy ban nhân dân huyện Yên Phong",
        citation="Đã có thành tích xuất sắc",
        golden_book=1,
    )
    world["certificate"] = Certificate(
        item=world["decision_item"], serial="2025-QD-UBND-00001", code="WORLD-CODE1-00000-00001"
    )
    world["draft_decision"] = Decision(**texts, state=DecisionState.DRAFT)
    db.session.add_all(
        [
            world[name]
            for name in ("awarded_nomination", "decision", "certificate", "draft_decision")
        ]
    )
    db.session.commit()


# --- end decisions


# --- printing: the object of tests/access_rules/printing.py
def _print_job(world: World) -> Job:
    key = "world/print-job"
    get_storage().put(key, BytesIO(WORLD_PDF))
    params = {
        "decisions": [world["decision"].id],
        "groups": [],
        "mode": "full",
        "printer": None,
        "offset": [0.0, 0.0],
        "format": "pdf",
        "reason": "",
        "chunk": 50,
        "name": "Giay-chung-nhan-01-QD-UBND",
    }
    return Job(
        kind="certificates",
        params=json.dumps(params),
        state=JobState.DONE,
        total=1,
        done=1,
        result_key=key,
        result_name="Giay-chung-nhan-01-QD-UBND.pdf",
        created_by_id=world["board"].id,
    )


# --- end printing


def _evidence_file(nomination: Nomination, uploader: User) -> EvidenceFile:
    """An evidence file whose bytes are really in storage (the download route serves them)."""
    key = "world/evidence-file"
    get_storage().put(key, BytesIO(WORLD_PDF))
    return EvidenceFile(
        nomination=nomination,
        storage_key=key,
        original_name="Báo cáo thành tích.pdf",
        content_type="application/pdf",
        size_bytes=len(WORLD_PDF),
        sha256=hashlib.sha256(WORLD_PDF).hexdigest(),
        uploaded_by=uploader,
    )


@pytest.fixture()
def world(db: object) -> Iterator[World]:
    """The world in a fresh database (import this fixture into a test module to use it)."""
    yield build_world()
