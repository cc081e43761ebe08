"""Add the browser tests' own round to a database loaded with the demo.

The demo's rounds move on as the project grows (CDS2025 waits at approval); the browser tests file,
submit, receive and score in a round caught mid-filing, ``ROUND_CODE``, built by the demo's builders
(``demo.seed_filing_round``). Run by ``conftest.py`` after ``flask seed-demo``, with the same
environment: ``python -m tests.e2e.seed_round``.
"""

from __future__ import annotations

ROUND_CODE = "E2E2025"
ROUND_NAME = "Đợt thử nghiệm giao diện (kiểm thử tự động)"


def main() -> None:
    from app import create_app
    from awards import audit, demo
    from awards.extensions import db

    app = create_app()
    with app.app_context(), audit.acting_as("e2e:seed-round"):
        summary = demo.seed_filing_round(ROUND_CODE, ROUND_NAME)
        db.session.commit()
    print(summary)


if __name__ == "__main__":
    main()
