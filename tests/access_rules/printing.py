"""Who may reach the batch-printing pages (``awards/printing_views.py``).

Board and approver read: a round's printing page, a print job's page, its status (JSON, polled by the
page) and its result. Only the board prints and resumes: an empty POST to print misses the mode and the
format (the page again with the errors, 422); resuming the world's finished job is refused with a message
(back to the job's page, 302). Nobody else sees any of it.
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

JOB = {"job_id": "print_job"}
READERS = {"board": 200, "approver": 200}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "printing.index": expect(data={"round": "CDS2025"}, **READERS),
    "printing.start": expect("POST", url_args={"decision_id": "decision"}, board=422),
    "printing.job": expect(url_args=JOB, **READERS),
    "printing.job_status": expect(url_args=JOB, **READERS),
    "printing.resume": expect("POST", url_args=JOB, board=302),
    "printing.download": expect(url_args=JOB, **READERS),
}
