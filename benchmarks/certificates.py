"""Benchmark: print 1,000 certificates (full design) as the product does, beside the naive baseline.

    .venv/bin/python benchmarks/certificates.py [--n 1000] [--baseline-n 200] [--mode full|blank]

(a) The product's path: ``exports.certificates.render_batch`` (chunks of 50 certificates, one WeasyPrint
document each, 2 worker processes, the QR codes made in the workers) and ``join_pdfs`` into one PDF,
after a first tiny batch has started the fork server (once per process; its time is printed apart).
(b) The naive baseline, in a process of its own: one WeasyPrint document per certificate with its own
``<style>`` (the certificate stylesheets inlined), its own font configuration, the border and emblem as
SVG images and a QR code per certificate, one PDF each. The baseline runs on ``--baseline-n``
certificates (it is slow); both are reported per second.

Peak RSS is the largest high-water mark (``VmHWM``) of every process involved: this one, the fork
server and the workers (read from ``/proc`` while they run) and the baseline's process (its own
``getrusage``). The last line holds the figures as ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from markupsafe import Markup

from exports import certificates, pdf

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Thị", "Văn", "Quốc", "Minh", "Thị Thu", "Đức", "Ngọc"]
GIVEN = ["Phượng", "Hưng", "Tuyết", "Đức", "Khôi", "Yến", "Trường", "Ẩn", "Thủy", "Quỳnh", "Dũng"]
UNITS = [
    "Trường THCS Nguyễn Đăng Đạo, thành phố Bắc Ninh",
    "Phòng Văn hóa và Thông tin huyện Tiên Du",
    "Trung tâm Y tế huyện Quế Võ",
    "Sở Thông tin và Truyền thông tỉnh Bắc Ninh",
    "Ủy ban nhân dân xã Đại Đồng Thành, huyện Thuận Thành",
]


def items(n: int) -> list[dict[str, Any]]:
    """``n`` certificates' values (no QR: making it is part of the work measured)."""
    base = certificates.sample_item()
    rows = []
    for i in range(n):
        code = f"B{i:05d}Q7M4XP9ZTRH3"
        name = f"{FAMILY[i % 10]} {MIDDLE[i % 7]} {GIVEN[i % 11]}"
        rows.append(
            dict(
                base,
                recipient=("Bà " if "Thị" in name else "Ông ") + name,
                position_unit=f"Chuyên viên, {UNITS[i % 5]}",
                golden_book_line=f"Số sổ vàng: {i + 1}",
                serial=f"GK-2025-{i + 1:06d}",
                code=code,
                verify_url=f"https://khenthuong.bacninh.gov.vn/verify/{code}",
            )
        )
    return rows


def spec() -> certificates.TemplateSpec:
    return certificates.TemplateSpec(
        certificates.DEFAULT_BODY, certificates.DEFAULT_POSITIONS, 297, 210, 1
    )


# --------------------------------------------------------------------------- memory


def _children(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(parent, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _high_water_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Monitor(threading.Thread):
    """Samples every descendant process until stopped: its high-water mark of memory (VmHWM, its own
    peak, so a late sample sees the peak of its whole life) and the CPU time it has used."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peaks: dict[int, float] = {}
        self.cpu: dict[int, float] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for pid in _children(os.getpid()):
                peak, cpu = _high_water_mb(pid), _cpu_seconds(pid)
                if peak is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))
                if cpu is not None:
                    self.cpu[pid] = max(cpu, self.cpu.get(pid, 0.0))
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- the two paths


def product(rows: list[dict[str, Any]], mode: str, chunk: int, workers: int) -> dict[str, float]:
    monitor = Monitor()
    monitor.start()
    cpu_started = _own_cpu()
    started = time.perf_counter()
    parts = list(certificates.render_batch(spec(), rows, mode=mode, chunk=chunk, workers=workers))
    rendered = time.perf_counter()
    document = certificates.join_pdfs(parts)
    finished = time.perf_counter()
    monitor.stop()
    assert document.startswith(b"%PDF-")
    children = max(monitor.peaks.values(), default=0.0)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "cpu_seconds": _own_cpu() - cpu_started + sum(monitor.cpu.values()),
        "seconds": finished - started,
        "render_seconds": rendered - started,
        "join_seconds": finished - rendered,
        "pdf_mb": len(document) / 2**20,
        "own_rss_mb": own,
        "worker_rss_mb": children,
        "processes": len(monitor.peaks),
    }


NAIVE_PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>{css}</style></head>
<body><section class="certificate">
<img class="frame-border" src="img/certificate-border.svg" alt="">
<img class="frame-emblem" src="img/emblem.svg" alt="">
{body}</section></body></html>"""


def naive(rows: list[dict[str, Any]], queue: Any) -> None:
    """The baseline, run in its own process: a document per certificate with its own stylesheet."""
    from weasyprint import HTML

    css = (pdf.STATIC_DIR / certificates.FULL_STYLESHEET).read_text(encoding="utf-8")
    template = pdf.environment().from_string(certificates.DEFAULT_BODY)
    started = time.perf_counter()
    cpu_started = time.process_time()
    pages = 0
    for values in rows:
        item = certificates.certificate_item(values)
        html = NAIVE_PAGE.format(css=css, body=template.render(**item))
        document = HTML(
            string=html, base_url=str(pdf.STATIC_DIR) + "/", url_fetcher=pdf.url_fetcher()
        )
        pages += document.write_pdf().count(b"/Type /Page\n")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    queue.put((seconds, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def joined_pages(rows: list[dict[str, Any]], chunk: int) -> float:
    """Seconds for the other way to build a chunk, in this process: a WeasyPrint document per
    certificate (shared stylesheets and fonts) and the pages joined by ``Document.copy``."""
    template = spec()
    compiled = certificates._compile(template.body)
    sheets = [
        certificates.FULL_STYLESHEET,
        pdf.css_from_string(certificates._full_css(template, compiled.css)),
    ]
    frame = certificates._frame_pdf(template.page_width_mm, template.page_height_mm)
    started = time.perf_counter()
    for start in range(0, len(rows), chunk):
        documents = []
        for values in rows[start : start + chunk]:
            item = certificates.certificate_item(values)
            page = {
                "html": Markup(compiled.template.render(**item)),  # noqa: S704 (sandbox output)
                "classes": certificates._fit_classes(item),
            }
            html = pdf.document_html(certificates.FULL_TEMPLATE, {"pages": [page], "title": ""})
            documents.append(pdf.document(html, sheets))
        pages = [page for document in documents for page in document.pages]
        certificates._under_every_page(documents[0].copy(pages).write_pdf(), frame)
    return time.perf_counter() - started


def one_document(rows: list[dict[str, Any]], chunk: int) -> float:
    """Seconds for the product's way to build the same chunks, in this process."""
    started = time.perf_counter()
    for start in range(0, len(rows), chunk):
        certificates.render_certificates(spec(), rows[start : start + chunk])
    return time.perf_counter() - started


def baseline(rows: list[dict[str, Any]]) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=naive, args=(rows, queue))
    process.start()
    seconds, cpu, rss = queue.get()
    process.join()
    return {"seconds": seconds, "cpu_seconds": cpu, "rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="certificates for the product path")
    parser.add_argument("--baseline-n", type=int, default=200, help="certificates for the baseline")
    parser.add_argument("--mode", choices=certificates.MODES, default="full")
    parser.add_argument("--chunk", type=int, default=certificates.CHUNK)
    parser.add_argument("--workers", type=int, default=certificates.WORKERS)
    parser.add_argument(
        "--variants",
        type=int,
        default=0,
        metavar="N",
        help="also time, in one process on N certificates, a chunk as one HTML document against "
        "a document per certificate joined by copying pages",
    )
    args = parser.parse_args()

    rows = items(args.n)
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work on the machine "
        f"slows every figure); {args.n} certificates, mode {args.mode}",
        flush=True,
    )
    # The fork server starts once per process (importing WeasyPrint); a web or queue worker pays it
    # on its first batch only. Timed apart, then the batch itself.
    started = time.perf_counter()
    list(certificates.render_batch(spec(), rows[:2], mode=args.mode, chunk=1, workers=args.workers))
    print(f"first batch of the process (fork server start): {time.perf_counter() - started:.2f} s")
    ours = product(rows, args.mode, args.chunk, args.workers)
    per_second = args.n / ours["seconds"]
    print(
        f"product: render_batch chunk={args.chunk} workers={args.workers}: "
        f"{ours['render_seconds']:.2f} s + join_pdfs {ours['join_seconds']:.2f} s = "
        f"{ours['seconds']:.2f} s, {per_second:.1f} certificates/s, PDF {ours['pdf_mb']:.1f} MB; "
        f"peak RSS: this process {ours['own_rss_mb']:.0f} MB, "
        f"fork server and workers (max of {ours['processes']:.0f}) {ours['worker_rss_mb']:.0f} MB; "
        f"CPU {1000 * ours['cpu_seconds'] / args.n:.1f} ms per certificate (all processes)",
        flush=True,
    )

    if args.variants:
        sample = rows[: args.variants]
        one_document(sample[:2], args.chunk)  # warm
        one, joined = one_document(sample, args.chunk), joined_pages(sample, args.chunk)
        print(
            f"one process, {len(sample)} certificates in chunks of {args.chunk}: one HTML document "
            f"per chunk {len(sample) / one:.1f}/s, a document per certificate joined by copying "
            f"pages {len(sample) / joined:.1f}/s",
            flush=True,
        )

    subset = rows[: max(1, min(args.baseline_n, args.n))]
    naive_run = baseline(subset)
    naive_per_second = len(subset) / naive_run["seconds"]
    print(
        f"baseline: one document per certificate with its own stylesheet, 1 process, "
        f"{len(subset)} certificates: {naive_run['seconds']:.2f} s, "
        f"{naive_per_second:.1f} certificates/s, peak RSS {naive_run['rss_mb']:.0f} MB; "
        f"CPU {1000 * naive_run['cpu_seconds'] / len(subset):.1f} ms per certificate",
        flush=True,
    )
    ratio = per_second / naive_per_second
    peak = max(ours["own_rss_mb"], ours["worker_rss_mb"], naive_run["rss_mb"])
    goals = [
        ("≥ 120 certificates/s", per_second >= 120),
        ("≥ 4× the baseline", ratio >= 4),
        ("≤ 200 MB per process", peak <= 200),
    ]
    print("goals: " + ", ".join(f"{goal} {'met' if met else 'NOT met'}" for goal, met in goals))
    print(f"load average now {os.getloadavg()[0]:.2f}")
    print(
        f"certs_per_s={per_second:.1f} baseline_per_s={naive_per_second:.1f} "
        f"ratio={ratio:.2f} peak_rss_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
