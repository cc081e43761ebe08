"""Benchmark: rank a round of 20,000 nominations × 5 submitted reviews × 10 criteria (1,000,000 score rows).

    .venv/bin/python benchmarks/ranking.py [--n 20000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Builds the round with bulk Core inserts in large batches (review totals and the nominations' score and
number of submitted reviews set as ``awards/scoring.py`` keeps them), then times ``awards.ranking.rank``
for every award form of the round on SQLite (a temporary file) and on PostgreSQL (a throwaway database
created and dropped here; skipped with a note when the server is unreachable), beside the floor measured
in the same run: a plain ``SELECT review_id, SUM(points) FROM scores GROUP BY review_id``. Each figure is
the best of three runs. The last line holds the figures as ``key=value`` pairs (seconds).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from awards import ranking
from awards.extensions import db
from config import TestConfig
from models import (
    AwardForm,
    Campaign,
    Criterion,
    CriterionGroup,
    Nomination,
    Review,
    Round,
    Score,
    Unit,
    User,
)

REVIEWS = 5
UNITS = 100
REVIEWERS = 60
BATCH = 50_000
# (group, max points, weight) × 10 criteria: group II (4 × 10 × 2 = 80) outweighs group I (6 × 10 = 60).
CRITERIA = [("I", 10, 1)] * 6 + [("II", 10, 2)] * 4
FLOOR_SQL = "SELECT review_id, SUM(points) FROM scores GROUP BY review_id"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(table.insert(), rows[start : start + BATCH])


def seed(n: int) -> None:
    """Build the round in the current app's database (empty schema), with Core inserts."""
    rng = random.Random(20251010)  # noqa: S311  (reproducible test data, not secrets)
    now = datetime(2025, 9, 20, 8, 0)
    with db.engine.begin() as c:
        c.execute(
            sa.insert(Unit.__table__),
            [
                {
                    "id": i,
                    "code": f"DV{i:03d}",
                    "name": f"Đơn vị {i}",
                    "search_name": f"don vi {i}",
                    "kind": "provincial_body",
                    "valid_from": date(2000, 1, 1),
                    "created_at": now,
                }
                for i in range(1, UNITS + 1)
            ],
        )
        c.execute(
            sa.insert(User.__table__),
            [
                {
                    "id": i,
                    "username": f"u{i}",
                    "full_name": f"Thành viên {i}",
                    "search_name": "",
                    "password_hash": "-",
                    "session_token": secrets.token_urlsafe(16),
                    "active": True,
                    "locale": "vi",
                    "failed_logins": 0,
                    "must_change_password": False,
                    "created_at": now,
                }
                for i in range(1, REVIEWERS + 2)
            ],
        )
        c.execute(
            sa.insert(Campaign.__table__),
            [
                {
                    "id": 1,
                    "code": "BENCH",
                    "name": "Phong trào thử tải",
                    "period_start": date(2025, 1, 1),
                    "period_end": date(2025, 12, 31),
                    "aggregation": "mean",
                    "min_reviews": 3,
                    "total_points": Decimal(140),
                    "comment_margin": Decimal(2),
                    "created_at": now,
                }
            ],
        )
        c.execute(
            sa.insert(Round.__table__),
            [
                {
                    "id": 1,
                    "campaign_id": 1,
                    "code": "BENCH-R1",
                    "name": "Đợt thử tải",
                    "nomination_opens": date(2025, 8, 1),
                    "nomination_closes": date(2025, 9, 15),
                    "ceremony_date": date(2025, 10, 10),
                    "phase": "council",
                    "created_at": now,
                }
            ],
        )
        c.execute(
            sa.insert(CriterionGroup.__table__),
            [
                {
                    "id": 1,
                    "campaign_id": 1,
                    "code": "I",
                    "title": "Nhóm I",
                    "applies_to": "both",
                    "position": 0,
                },
                {
                    "id": 2,
                    "campaign_id": 1,
                    "code": "II",
                    "title": "Nhóm II",
                    "applies_to": "both",
                    "position": 1,
                },
            ],
        )
        c.execute(
            sa.insert(Criterion.__table__),
            [
                {
                    "id": i,
                    "campaign_id": 1,
                    "group_id": 1 if g == "I" else 2,
                    "code": f"C{i}",
                    "title": f"Tiêu chí {i}",
                    "guidance": "",
                    "max_points": Decimal(mp),
                    "weight": Decimal(w),
                    "applies_to": "both",
                    "target_unit": "",
                    "evidence_required": False,
                    "position": i,
                }
                for i, (g, mp, w) in enumerate(CRITERIA, start=1)
            ],
        )
        c.execute(
            sa.insert(AwardForm.__table__),
            [
                {
                    "id": 1,
                    "campaign_id": 1,
                    "code": "BK",
                    "name": "Bằng khen",
                    "certificate_title": "BẰNG KHEN",
                    "awarding_title": "CHỦ TỊCH",
                    "min_score": Decimal(60),
                    "quota_total": n // 10,
                    "quota_per_unit": 20,
                    "position": 0,
                },
                {
                    "id": 2,
                    "campaign_id": 1,
                    "code": "GK",
                    "name": "Giấy khen",
                    "certificate_title": "GIẤY KHEN",
                    "awarding_title": "GIÁM ĐỐC",
                    "min_score": Decimal(50),
                    "quota_total": n // 5,
                    "quota_per_unit": 40,
                    "position": 1,
                },
            ],
        )
        weights = [Decimal(w) for _, _, w in CRITERIA]
        nominations, reviews, scores = [], [], []
        review_id = score_id = 0
        for nid in range(1, n + 1):
            individual = nid % 3 == 0
            totals = []
            for reviewer in rng.sample(range(1, REVIEWERS + 1), REVIEWS):
                review_id += 1
                total = Decimal(0)
                for cid, weight in enumerate(weights, start=1):
                    points = Decimal(rng.randint(8, 20)) / 2
                    total += points * weight
                    score_id += 1
                    scores.append(
                        {
                            "id": score_id,
                            "review_id": review_id,
                            "criterion_id": cid,
                            "points": points,
                            "comment": "",
                        }
                    )
                totals.append(total)
                reviews.append(
                    {
                        "id": review_id,
                        "nomination_id": nid,
                        "reviewer_id": reviewer,
                        "state": "submitted",
                        "comment": "",
                        "recusal_reason": "",
                        "total": total,
                        "assigned_at": now,
                        "submitted_at": now,
                        "version": 2,
                    }
                )
            nominations.append(
                {
                    "id": nid,
                    "reference": f"BENCH-{nid:06d}",
                    "round_id": 1,
                    "unit_id": 1 + nid % UNITS,
                    "award_form_id": 1 + nid % 2,
                    "kind": "individual" if individual else "collective",
                    "state": "scored" if nid % 4 else "in_review",
                    "version": 3,
                    "nominee_name": f"Hồ sơ {nid}",
                    "search_name": f"ho so {nid}",
                    "headcount": None if individual else 20,
                    "women_share": None if individual else Decimal(rng.randint(0, 100)),
                    "sex": ("female" if nid % 2 else "male") if individual else None,
                    "date_of_birth": date(1980, 1, 1) if individual else None,
                    "position": "",
                    "workplace": "",
                    "citation": "",
                    "report_profile": "",
                    "report_achievements": "",
                    "report_measures": "",
                    "duplicate_note": "",
                    "hold_reason": "Đang xác minh" if nid % 97 == 0 else "",
                    "score": (sum(totals) / len(totals)).quantize(Decimal("0.001")),
                    "reviews_submitted": REVIEWS,
                    "created_by_id": REVIEWERS + 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        _insert(c, Nomination.__table__, nominations)
        _insert(c, Review.__table__, reviews)
        del nominations, reviews
        _insert(c, Score.__table__, scores)
    with db.engine.begin() as c:
        c.exec_driver_sql("ANALYZE")


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        db.session.expire_all()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
        db.session.rollback()
    return best


def measure(url: str, n: int, label: str) -> tuple[float, float]:
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        seed(n)
        print(
            f"{label}: seeded {n} nominations, {n * REVIEWS} reviews, {n * REVIEWS * 10} scores "
            f"in {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        round_ = db.session.get(Round, 1)
        forms = list(round_.campaign.award_forms)

        def rank_all() -> list[ranking.Ranking]:
            round_ = db.session.get(Round, 1)
            return [ranking.rank(round_, form) for form in db.session.get(Campaign, 1).award_forms]

        def floor() -> object:
            return db.session.execute(sa.text(FLOOR_SQL)).all()

        results = rank_all()
        for form, result in zip(forms, results, strict=True):
            print(
                f"{label}: {form.code}: {len(result.rows)} rows, {sum(r.eligible for r in result.rows)} eligible, "
                f"{len(result.within)} within quota, {len(result.flagged)} tie-flagged",
                flush=True,
            )
        ranking_s = best_of(3, rank_all)
        floor_s = best_of(3, floor)
        print(
            f"{label}: ranking {ranking_s:.3f} s, floor {floor_s:.3f} s, "
            f"ratio {ranking_s / floor_s:.2f}×",
            flush=True,
        )
        db.session.remove()
        db.engine.dispose()
    return ranking_s, floor_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="nominations (default 20,000)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        sqlite_s, sqlite_floor = measure(f"sqlite:///{folder}/bench.sqlite3", args.n, "sqlite")

    pg_s = pg_floor = float("nan")
    server = make_url(args.pg_url)
    name = f"kts_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        print(f"postgresql: skipped, server unreachable ({str(error).splitlines()[0]})", flush=True)
    else:
        try:
            url = server.set(database=name).render_as_string(hide_password=False)
            pg_s, pg_floor = measure(url, args.n, "postgresql")
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    print(
        f"sqlite_s={sqlite_s:.3f} sqlite_floor_s={sqlite_floor:.3f} pg_s={pg_s:.3f} pg_floor_s={pg_floor:.3f}"
    )


if __name__ == "__main__":
    main()
