"""Evidence files: real files of every accepted type, the attacks of issue 3 (each refused with a message
and nothing stored: no row, no bytes under UPLOAD_ROOT), names, hashes, downloads and removal."""

from __future__ import annotations

import hashlib
import io
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask, render_template
from flask.testing import FlaskClient
from flask_login import login_user
from openpyxl import Workbook
from PIL import Image
from werkzeug.datastructures import FileStorage

from awards import evidence
from awards.evidence import EvidenceError, add_file, add_minutes, clean_filename, remove_file
from awards.extensions import db as _db
from awards.storage import get_storage
from models import EvidenceFile, Nomination, NominationState, Role, RoundPhase, Submission, User
from tests.conftest import login
from tests.factories import (
    Filing,
    bring_to,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
)

MB = 1024 * 1024
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --------------------------------------------------------------------------- real files, built here


def pdf_bytes(padding: int = 0) -> bytes:
    body = (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    )
    if padding:
        body += b"%" + b"0" * padding + b"\n"
    return body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 40)).save(buffer, fmt)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Tỷ lệ hồ sơ trực tuyến"
    workbook.active["B1"] = 98.5
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MAIN_TYPES = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
}


def office_bytes(
    kind: str = "docx",
    *,
    main_type: str | None = None,
    extra: dict[str, bytes] | None = None,
    big_member: int = 0,
    encrypted_flag: bool = False,
) -> bytes:
    """A minimal Office Open XML package of ``kind``; ``big_member`` adds that many zero bytes,
    deflated (a real zip bomb in miniature)."""
    main_part, default_type = MAIN_TYPES[kind]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type or default_type}"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(main_part, "<document>Báo cáo</document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        if big_member:
            with archive.open("word/media/zeros.bin", "w", force_zip64=True) as member:
                chunk = bytes(MB)
                for _ in range(big_member // MB):
                    member.write(chunk)
    data = buffer.getvalue()
    if (
        encrypted_flag
    ):  # zipfile cannot encrypt: set the "encrypted" bit as an encrypting tool would
        data = patch_central(data, main_part, 8, "<H", 0x1)
    return data


def patch_central(data: bytes, member: str, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of ``member``'s entry in the zip's central directory."""
    out = bytearray(data)
    start = 0
    while (at := out.find(b"PK\x01\x02", start)) != -1:
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46 : at + 46 + name_length] == member.encode():
            struct.pack_into(fmt, out, at + offset, value)
            return bytes(out)
        start = at + 4
    raise AssertionError(f"{member} not in the archive")


def declare_size(data: bytes, member: str, size: int) -> bytes:
    """A few hundred bytes claiming gigabytes, as crafted zip bombs do: rewrite the uncompressed size
    that the central directory declares for ``member``."""
    return patch_central(data, member, 24, "<I", size)


def png_with_bad_header() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def handmade_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- fixtures and helpers


@dataclass
class Setup:
    filing: Filing
    nomination: Nomination
    clerk: User
    head: User


@pytest.fixture()
def setup(app: Flask, db: object) -> Setup:
    filing = make_filing()
    unit = make_unit("Sở Thông tin và Truyền thông")
    clerk = make_user(Role.UNIT_CLERK, unit=unit)
    head = make_user(Role.UNIT_HEAD, unit=unit)
    nomination = make_nomination(filing, unit, clerk, evidence=False)
    _db.session.commit()
    return Setup(filing, nomination, clerk, head)


@pytest.fixture()
def stored(app: Flask) -> Callable[[], set[str]]:
    """``stored()``: the keys under UPLOAD_ROOT (the root is shared by the whole session)."""
    root = Path(app.config["UPLOAD_ROOT"])

    def keys() -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    return keys


def upload(file: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(file), filename=name, content_type="application/pdf")


def rows() -> list[EvidenceFile]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(EvidenceFile).order_by(EvidenceFile.id)))


def post_file(
    client: FlaskClient, nomination_id: int, data: bytes, name: str, **fields: object
) -> object:
    return client.post(
        f"/nominations/{nomination_id}/files",
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


def flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


def logged_in(client: FlaskClient, user: User) -> FlaskClient:
    assert login(client, user.username).status_code == 302
    return client


# --------------------------------------------------------------------------- accepted files


ACCEPTED = [
    ("Báo cáo thành tích.pdf", pdf_bytes(), "application/pdf"),
    ("Ảnh lễ trao giải.jpg", image_bytes("JPEG"), "image/jpeg"),
    ("anh-2.JPEG", image_bytes("JPEG"), "image/jpeg"),
    ("Sơ đồ.png", image_bytes("PNG"), "image/png"),
    ("tiny.png", handmade_png(), "image/png"),
    ("Biên bản.docx", office_bytes("docx"), DOCX_MIME),
    ("Số liệu.xlsx", xlsx_bytes(), XLSX_MIME),
    ("Số liệu tay.xlsx", office_bytes("xlsx"), XLSX_MIME),
]


@pytest.mark.parametrize(("name", "data", "mime"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_each_accepted_type_is_stored_with_its_hash(
    setup: Setup, stored: Callable[[], set[str]], name: str, data: bytes, mime: str
) -> None:
    before = stored()
    file = add_file(setup.nomination, upload(data, name), setup.clerk)
    _db.session.commit()

    assert (file.original_name, file.content_type, file.size_bytes) == (name, mime, len(data))
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert file.nomination_id == setup.nomination.id
    assert file.uploaded_by_id == setup.clerk.id
    assert stored() - before == {file.storage_key}
    assert name not in file.storage_key
    with get_storage().open(file.storage_key) as stream:
        assert stream.read() == data


def test_upload_through_the_page_and_download(
    client: FlaskClient, setup: Setup, stored: Callable[[], set[str]]
) -> None:
    logged_in(client, setup.clerk)
    data = pdf_bytes(5000)
    nfd_name = unicodedata.normalize("NFD", "Báo cáo thành tích Nguyễn Thị Hường.pdf")
    assert nfd_name != unicodedata.normalize("NFC", nfd_name)

    response = post_file(client, setup.nomination.id, data, nfd_name)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/nominations/{setup.nomination.id}"
    nfc_name = unicodedata.normalize("NFC", nfd_name)
    assert flashes(client) == [("success", f"Đã tải lên tệp “{nfc_name}”.")]
    (file,) = rows()
    assert file.original_name == nfc_name
    assert file.sha256 == hashlib.sha256(data).hexdigest()

    download = client.get(f"/files/{file.id}")
    assert download.status_code == 200
    assert download.data == data
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.headers["Content-Length"] == str(len(data))
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(nfc_name, safe='')}" in disposition
    assert quote(nfd_name, safe="") not in disposition


def test_upload_with_a_criterion(client: FlaskClient, setup: Setup) -> None:
    logged_in(client, setup.head)
    required = setup.filing.criteria["1.1"]  # evidence required
    plain = setup.filing.criteria["1.3"]  # neither measurable nor evidence required

    response = post_file(
        client, setup.nomination.id, pdf_bytes(), "Minh chứng 1.1.pdf", criterion_id=required.id
    )
    assert response.status_code == 302
    assert [(f.original_name, f.criterion_id) for f in rows()] == [
        ("Minh chứng 1.1.pdf", required.id)
    ]

    response = post_file(client, setup.nomination.id, pdf_bytes(), "x.pdf", criterion_id=plain.id)
    assert response.status_code == 302
    assert [category for category, _ in flashes(client)] == ["success", "danger"]
    assert len(rows()) == 1


def test_criterion_choices_are_the_measurable_and_evidence_criteria(setup: Setup) -> None:
    codes = [c.code for c in evidence.evidence_criteria(setup.nomination)]
    assert codes == ["1.1", "1.2"]  # a collective: 1.1 needs evidence, 1.2 is measurable
    with pytest.raises(EvidenceError, match="Tiêu chí đã chọn không cần minh chứng"):
        add_file(
            setup.nomination,
            upload(pdf_bytes(), "a.pdf"),
            setup.clerk,
            criterion_id=setup.filing.criteria["1.3"].id,
        )


# --------------------------------------------------------------------------- attacks


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200

REFUSED = [
    ("empty", b"", "Báo cáo.pdf", "Tệp “Báo cáo.pdf” rỗng (0 byte). Hãy chọn lại đúng tệp."),
    (
        "text named .pdf",
        "Đây không phải là tệp PDF".encode(),
        "Báo cáo.pdf",
        "Tệp “Báo cáo.pdf” không phải là PDF, DOCX, XLSX, JPG hay PNG (nội dung thực tế: không xác "
        "định được). Hãy chuyển tệp sang một trong các định dạng đó rồi tải lên lại.",
    ),
    (
        "html named .jpg",
        HTML,
        "anh.jpg",
        "Tệp “anh.jpg” không phải là PDF, DOCX, XLSX, JPG hay PNG (nội dung thực tế: trang web "
        "HTML/SVG). Hãy chuyển tệp sang một trong các định dạng đó rồi tải lên lại.",
    ),
    (
        "renamed exe",
        EXE,
        "Báo cáo.pdf",
        "Tệp “Báo cáo.pdf” không phải là PDF, DOCX, XLSX, JPG hay PNG (nội dung thực tế: EXE). "
        "Hãy chuyển tệp sang một trong các định dạng đó rồi tải lên lại.",
    ),
    (
        "png named .pdf",
        image_bytes("PNG"),
        "Báo cáo.pdf",
        "Tệp “Báo cáo.pdf” thực chất là ảnh PNG, không khớp với phần mở rộng .pdf. Hãy đổi phần mở "
        "rộng thành .png (hoặc chọn đúng tệp) rồi tải lên lại.",
    ),
    (
        "docx named .xlsx",
        office_bytes("docx"),
        "Số liệu.xlsx",
        "Tệp “Số liệu.xlsx” thực chất là tài liệu Word (DOCX), không khớp với phần mở rộng .xlsx. "
        "Hãy đổi phần mở rộng thành .docx (hoặc chọn đúng tệp) rồi tải lên lại.",
    ),
    (
        "pdf without a name extension",
        pdf_bytes(),
        "Báo cáo",
        "Tệp “Báo cáo” không có phần mở rộng; nội dung của nó là tài liệu PDF. Hãy đặt tên tệp có "
        "đuôi .pdf rồi tải lên lại.",
    ),
    (
        "path traversal to a file without extension",
        pdf_bytes(),
        "../../../etc/passwd",
        "Tệp “passwd” không có phần mở rộng; nội dung của nó là tài liệu PDF. Hãy đặt tên tệp có "
        "đuôi .pdf rồi tải lên lại.",
    ),
    (
        "name of dots only",
        pdf_bytes(),
        "../..",
        "Tệp tải lên không có tên hợp lệ. Hãy chọn lại tệp.",
    ),
    (
        "truncated pdf",
        pdf_bytes()[:-8],
        "a.pdf",
        "Tệp “a.pdf” không phải là tệp PDF hoàn chỉnh (thiếu phần kết thúc, có thể bị hỏng hoặc tải "
        "về chưa xong). Hãy xuất lại tệp PDF rồi tải lên lại.",
    ),
    (
        "png signature without a header",
        png_with_bad_header(),
        "a.png",
        "Tệp “a.png” bị hỏng hoặc không đọc được. Hãy mở và lưu lại tệp rồi tải lên lại.",
    ),
    (
        "zip bomb docx (declared 3.75 GB)",
        declare_size(office_bytes("docx"), "word/document.xml", 0xF000_0000),
        "Biên bản.docx",
        "Tệp “Biên bản.docx” khai báo 3.840,0 MB dữ liệu khi giải nén, vượt giới hạn 200 MB (có thể "
        "là tệp “bom nén”). Tệp không được lưu.",
    ),
    (
        "zip bomb xlsx (declared 3.75 GB)",
        declare_size(xlsx_bytes(), "xl/workbook.xml", 0xF000_0000),
        "Số liệu.xlsx",
        "Tệp “Số liệu.xlsx” khai báo 3.840,0 MB dữ liệu khi giải nén, vượt giới hạn 200 MB (có thể "
        "là tệp “bom nén”). Tệp không được lưu.",
    ),
    (
        "macro-enabled docm named .docx",
        office_bytes(
            "docx",
            main_type="application/vnd.ms-word.document.macroEnabled.main+xml",
            extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"},
        ),
        "Biên bản.docx",
        "Tệp “Biên bản.docx” có chứa macro hoặc điều khiển ActiveX, không được nhận vì lý do an "
        "toàn. Hãy lưu lại thành tài liệu Word (DOCX) thông thường (không macro) hoặc xuất ra PDF.",
    ),
    (
        "macro-enabled xlsm named .xlsx",
        office_bytes(
            "xlsx",
            main_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        ),
        "Số liệu.xlsx",
        "Tệp “Số liệu.xlsx” có chứa macro hoặc điều khiển ActiveX, không được nhận vì lý do an "
        "toàn. Hãy lưu lại thành bảng tính Excel (XLSX) thông thường (không macro) hoặc xuất ra PDF.",
    ),
    (
        "activex in docx",
        office_bytes("docx", extra={"word/activeX/activeX1.xml": b"<ax/>"}),
        "Biên bản.docx",
        "Tệp “Biên bản.docx” có chứa macro hoặc điều khiển ActiveX, không được nhận vì lý do an "
        "toàn. Hãy lưu lại thành tài liệu Word (DOCX) thông thường (không macro) hoặc xuất ra PDF.",
    ),
    (
        "encrypted zip member",
        office_bytes("docx", encrypted_flag=True),
        "Biên bản.docx",
        "Tệp “Biên bản.docx” đã được đặt mật khẩu (mã hóa). Hãy gỡ mật khẩu hoặc xuất ra PDF rồi "
        "tải lên lại.",
    ),
    (
        "password-protected office file (OLE container)",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "Biên bản.docx",
        "Tệp “Biên bản.docx” là tài liệu Office định dạng cũ (.doc, .xls) hoặc đã đặt mật khẩu. Hãy "
        "lưu lại thành .docx/.xlsx không mật khẩu, hoặc xuất ra PDF, rồi tải lên lại.",
    ),
    (
        "empty zip named .docx",
        (lambda: (b := io.BytesIO(), zipfile.ZipFile(b, "w").close(), b.getvalue())[2])(),
        "Biên bản.docx",
        "Tệp “Biên bản.docx” không phải là PDF, DOCX, XLSX, JPG hay PNG (nội dung thực tế: ZIP). "
        "Hãy chuyển tệp sang một trong các định dạng đó rồi tải lên lại.",
    ),
    (
        "zip with other files named .docx",
        (
            lambda: (
                b := io.BytesIO(),
                (z := zipfile.ZipFile(b, "w")).writestr("readme.txt", "x"),
                z.close(),
                b.getvalue(),
            )[3]
        )(),
        "Biên bản.docx",
        "Tệp “Biên bản.docx” không phải là PDF, DOCX, XLSX, JPG hay PNG (nội dung thực tế: tệp nén "
        "ZIP hoặc tài liệu văn phòng khác). Hãy chuyển tệp sang một trong các định dạng đó rồi tải "
        "lên lại.",
    ),
    (
        "word template (dotx) named .docx",
        office_bytes(
            "docx",
            main_type="application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        ),
        "Biên bản.docx",
        "Tệp “Biên bản.docx” không phải là PDF, DOCX, XLSX, JPG hay PNG (nội dung thực tế: mẫu hoặc "
        "tài liệu văn phòng khác). Hãy chuyển tệp sang một trong các định dạng đó rồi tải lên lại.",
    ),
    (
        "truncated docx",
        office_bytes("docx")[:-30],
        "Biên bản.docx",
        "Tệp “Biên bản.docx” bị hỏng hoặc không đọc được. Hãy mở và lưu lại tệp rồi tải lên lại.",
    ),
]


@pytest.mark.parametrize(("case", "data", "name", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_attacks_are_refused_and_nothing_is_stored(
    client: FlaskClient,
    setup: Setup,
    stored: Callable[[], set[str]],
    case: str,
    data: bytes,
    name: str,
    message: str,
) -> None:
    logged_in(client, setup.clerk)
    before = stored()

    response = post_file(client, setup.nomination.id, data, name)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/nominations/{setup.nomination.id}"
    assert flashes(client) == [("danger", message)]
    assert rows() == []
    assert stored() == before


def test_a_real_zip_bomb_is_refused(
    app: Flask, setup: Setup, stored: Callable[[], set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_UNCOMPRESSED_MB", 10)
    bomb = office_bytes("docx", big_member=16 * MB)
    assert len(bomb) < 100_000  # 16 MB of zeros deflate to a few kilobytes
    before = stored()
    with pytest.raises(EvidenceError, match="khai báo 16,0 MB dữ liệu khi giải nén"):
        add_file(setup.nomination, upload(bomb, "Biên bản.docx"), setup.clerk)
    assert (rows(), stored()) == ([], before)


def test_per_file_limit(
    app: Flask, setup: Setup, stored: Callable[[], set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_FILE_MB", 1)
    before = stored()
    with pytest.raises(EvidenceError) as refused:
        add_file(setup.nomination, upload(pdf_bytes(int(1.5 * MB)), "Hồ sơ.pdf"), setup.clerk)
    assert str(refused.value) == (
        "Tệp “Hồ sơ.pdf” (1,5 MB) vượt quá giới hạn 1 MB mỗi tệp. Hãy nén, giảm độ phân giải hoặc "
        "chia nhỏ tệp rồi tải lên lại."
    )
    assert (rows(), stored()) == ([], before)

    exactly = pdf_bytes(MB - len(pdf_bytes()) - 2)
    assert len(exactly) == MB
    add_file(setup.nomination, upload(exactly, "Vừa đủ.pdf"), setup.clerk)
    assert [f.size_bytes for f in rows()] == [MB]


def test_per_nomination_limit_counts_live_files(
    app: Flask, setup: Setup, stored: Callable[[], set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_NOMINATION_MB", 1)
    first = add_file(setup.nomination, upload(pdf_bytes(600_000), "1.pdf"), setup.clerk)
    _db.session.commit()
    before = stored()

    with pytest.raises(EvidenceError) as refused:
        add_file(setup.nomination, upload(pdf_bytes(600_000), "2.pdf"), setup.clerk)
    assert str(refused.value) == (
        "Không thể thêm tệp “2.pdf” (0,6 MB): tổng dung lượng tài liệu của hồ sơ sẽ là 1,1 MB, vượt "
        "quá giới hạn 1 MB. Hãy xóa bớt tệp hoặc giảm dung lượng."
    )
    _db.session.rollback()
    assert ([f.original_name for f in rows()], stored()) == (["1.pdf"], before)

    # A removed file no longer counts.
    remove_file(first, setup.clerk)
    add_file(setup.nomination, upload(pdf_bytes(600_000), "2.pdf"), setup.clerk)
    _db.session.commit()
    assert [(f.original_name, f.deleted_at is None) for f in rows()] == [
        ("1.pdf", False),
        ("2.pdf", True),
    ]


def test_request_over_max_content_length_goes_back_with_a_message(
    app: Flask,
    client: FlaskClient,
    setup: Setup,
    stored: Callable[[], set[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 256 * 1024)
    logged_in(client, setup.clerk)
    before = stored()

    response = post_file(client, setup.nomination.id, pdf_bytes(300 * 1024), "Lớn.pdf")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/nominations/{setup.nomination.id}"
    assert (rows(), stored()) == ([], before)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert (
        "Tệp gửi lên quá lớn nên không được nhận. Mỗi tệp minh chứng tối đa 20 MB: hãy nén, giảm "
        "độ phân giải hoặc chia nhỏ tệp rồi tải lên lại." in page.get_data(as_text=True)
    )


def test_oversize_request_is_caught_while_the_csrf_check_reads_the_form(
    app: Flask, client: FlaskClient, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_in(client, setup.clerk)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)

    response = post_file(client, setup.nomination.id, pdf_bytes(100 * 1024), "Lớn.pdf")

    assert response.status_code == 302
    assert [category for category, _ in flashes(client)] == ["danger"]
    assert rows() == []
    # Without the oversize, the same request is refused by the CSRF check as usual.
    small = post_file(client, setup.nomination.id, pdf_bytes(), "Nhỏ.pdf")
    assert small.status_code == 400


def test_other_oversize_requests_get_the_error_page(
    app: Flask, client: FlaskClient, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = add_file(setup.nomination, upload(pdf_bytes(), "a.pdf"), setup.clerk)
    _db.session.commit()
    logged_in(client, setup.clerk)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)

    response = client.post(f"/files/{file.id}/delete", data={"padding": "x" * 4096})

    assert response.status_code == 413
    assert "Tệp hoặc dữ liệu gửi lên quá lớn." in response.get_data(as_text=True)
    assert rows()[0].deleted_at is None
    # Any other route: the error page renders for a logged-in user (its forms do not re-read the body).
    response = client.post("/language", data={"locale": "vi", "padding": "x" * 4096})
    assert response.status_code == 413
    assert "Tệp hoặc dữ liệu gửi lên quá lớn." in response.get_data(as_text=True)


def test_max_content_length_is_a_little_above_the_file_limit(app: Flask) -> None:
    from config import Config

    assert Config.EVIDENCE_MAX_FILE_MB * MB < Config.MAX_CONTENT_LENGTH
    assert Config.MAX_CONTENT_LENGTH <= (Config.EVIDENCE_MAX_FILE_MB + 10) * MB


def test_no_file_chosen(client: FlaskClient, setup: Setup) -> None:
    logged_in(client, setup.clerk)
    response = client.post(
        f"/nominations/{setup.nomination.id}/files", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert flashes(client) == [("danger", "Hãy chọn tệp cần tải lên.")]


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\Báo cáo.pdf", "Báo cáo.pdf"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/abs/path/Ảnh.png", "Ảnh.png"),
        (unicodedata.normalize("NFD", "Nguyễn Thị Hường.pdf"), "Nguyễn Thị Hường.pdf"),
        ("Báo\x00 cáo\r\n\t.pdf", "Báo cáo.pdf"),
        ("tai-lieu\u202efdp.exe", "tai-lieufdp.exe"),  # a right-to-left override hides ".exe"
        ("  .hidden.pdf. ", "hidden.pdf"),
        ("..", ""),
        ("", ""),
        (None, ""),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
        ("b" * 300, "b" * 200),
    ],
)
def test_clean_filename(raw: str | None, kept: str) -> None:
    assert clean_filename(raw) == kept


def test_traversal_names_keep_their_last_part_and_stay_in_storage(
    client: FlaskClient, setup: Setup, stored: Callable[[], set[str]]
) -> None:
    logged_in(client, setup.clerk)
    before = stored()
    response = post_file(client, setup.nomination.id, pdf_bytes(), "../../../Báo cáo.pdf")
    assert response.status_code == 302
    windows = add_file(setup.nomination, upload(pdf_bytes(), "C:\\x\\Tờ trình.pdf"), setup.clerk)
    _db.session.commit()
    first, second = rows()
    assert (first.original_name, second.original_name) == ("Báo cáo.pdf", "Tờ trình.pdf")
    assert second.id == windows.id
    assert stored() - before == {first.storage_key, second.storage_key}


def test_names_with_quotes_are_safe_in_the_header(client: FlaskClient, setup: Setup) -> None:
    file = add_file(setup.nomination, upload(pdf_bytes(), 'Tờ "trình"; x=1.pdf'), setup.clerk)
    _db.session.commit()
    logged_in(client, setup.head)
    disposition = client.get(f"/files/{file.id}").headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="To \\"trinh\\"; x=1.pdf"; filename*=UTF-8\'\''
        + quote('Tờ "trình"; x=1.pdf', safe="!#$&+-.^_`|~")
    )


# --------------------------------------------------------------------------- who may do what


def test_download_outside_the_scope_is_404(
    client: FlaskClient, app: Flask, setup: Setup, make_user: Callable[..., User]
) -> None:
    file = add_file(setup.nomination, upload(pdf_bytes(), "a.pdf"), setup.clerk)
    _db.session.commit()
    other_clerk = make_user(Role.UNIT_CLERK)  # of another unit
    reviewer = make_user(Role.REVIEWER)
    board = make_user(Role.BOARD)

    for user, status in ((other_clerk, 404), (reviewer, 404), (board, 200)):
        client.post("/logout")
        logged_in(client, user)
        assert client.get(f"/files/{file.id}").status_code == status, user
    assert client.get("/files/999999").status_code == 404


def test_upload_by_another_unit_is_404_and_by_the_board_403(
    client: FlaskClient, setup: Setup, make_user: Callable[..., User]
) -> None:
    logged_in(client, make_user(Role.UNIT_HEAD))
    assert post_file(client, setup.nomination.id, pdf_bytes(), "a.pdf").status_code == 404
    assert post_file(client, 999999, pdf_bytes(), "a.pdf").status_code == 404
    client.post("/logout")
    logged_in(client, make_user(Role.BOARD))
    assert post_file(client, setup.nomination.id, pdf_bytes(), "a.pdf").status_code == 403
    assert rows() == []


def test_no_upload_once_submitted(
    client: FlaskClient, setup: Setup, stored: Callable[[], set[str]]
) -> None:
    make_submission(setup.filing, setup.nomination.unit, setup.head, [setup.nomination])
    add_file(setup.nomination, upload(pdf_bytes(), "minh chứng.pdf"), setup.clerk)
    bring_to(setup.nomination, NominationState.SUBMITTED, head=setup.head, board=setup.filing.board)
    _db.session.commit()
    logged_in(client, setup.clerk)
    before = stored()

    response = post_file(client, setup.nomination.id, pdf_bytes(), "thêm.pdf")

    assert response.status_code == 302
    assert flashes(client) == [
        (
            "danger",
            "Hồ sơ ở trạng thái này (hoặc đợt xét đã qua giai đoạn nhận hồ sơ) không thêm hay xóa "
            "tài liệu được.",
        )
    ]
    assert [f.original_name for f in rows()] == ["minh chứng.pdf"]
    assert stored() == before

    (file,) = rows()
    response = client.post(f"/files/{file.id}/delete")
    assert response.status_code == 302
    assert [category for category, _ in flashes(client)] == ["danger"]
    assert rows()[0].deleted_at is None


def test_no_upload_after_the_nominating_phase(setup: Setup) -> None:
    setup.nomination.round.phase = RoundPhase.REVIEWING
    with pytest.raises(EvidenceError, match="không thêm hay xóa tài liệu được"):
        add_file(setup.nomination, upload(pdf_bytes(), "a.pdf"), setup.clerk)


def test_delete_is_soft_and_hides_the_file(
    client: FlaskClient, setup: Setup, stored: Callable[[], set[str]]
) -> None:
    file = add_file(setup.nomination, upload(pdf_bytes(), "Cũ.pdf"), setup.clerk)
    _db.session.commit()
    logged_in(client, setup.clerk)

    response = client.post(f"/files/{file.id}/delete")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/nominations/{setup.nomination.id}"
    assert flashes(client) == [("success", "Đã xóa tệp “Cũ.pdf” khỏi hồ sơ.")]
    (row,) = rows()
    assert row.deleted_at is not None
    assert row.storage_key in stored()  # the bytes are kept for the record
    assert client.get(f"/files/{file.id}").status_code == 404
    assert client.post(f"/files/{file.id}/delete").status_code == 404
    with pytest.raises(EvidenceError, match="Tệp này đã được xóa khỏi hồ sơ"):
        remove_file(row, setup.clerk)


def test_rows_are_audited(setup: Setup) -> None:
    from models import AuditEvent

    file = add_file(setup.nomination, upload(pdf_bytes(), "a.pdf"), setup.clerk)
    _db.session.commit()
    event = _db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "evidence_files")
    ).one()
    assert (event.object_id, event.action) == (str(file.id), "create")


# --------------------------------------------------------------------------- storage follows the transaction


def test_rolled_back_upload_leaves_no_bytes(setup: Setup, stored: Callable[[], set[str]]) -> None:
    before = stored()
    file = add_file(setup.nomination, upload(pdf_bytes(), "a.pdf"), setup.clerk)
    assert stored() - before == {file.storage_key}
    _db.session.rollback()
    assert (rows(), stored()) == ([], before)


def test_savepoints_keep_files_of_the_enclosing_transaction(
    setup: Setup, stored: Callable[[], set[str]]
) -> None:
    before = stored()
    outer = add_file(setup.nomination, upload(pdf_bytes(), "ngoài.pdf"), setup.clerk)
    savepoint = _db.session.begin_nested()
    inner = add_file(setup.nomination, upload(pdf_bytes(), "trong.pdf"), setup.clerk)
    keys = (outer.storage_key, inner.storage_key)
    savepoint.rollback()
    assert stored() - before == {keys[0]}  # only the SAVEPOINT's file is gone

    released = _db.session.begin_nested()
    kept = add_file(setup.nomination, upload(pdf_bytes(), "giữ.pdf"), setup.clerk)
    released.commit()
    _db.session.commit()
    assert stored() - before == {keys[0], kept.storage_key}
    assert sorted(f.original_name for f in rows()) == ["giữ.pdf", "ngoài.pdf"]

    # A SAVEPOINT released inside a transaction that is then rolled back loses its file too.
    released = _db.session.begin_nested()
    lost = add_file(setup.nomination, upload(pdf_bytes(), "mất.pdf"), setup.clerk)
    released.commit()
    assert lost.storage_key in stored()
    _db.session.rollback()
    assert stored() - before == {keys[0], kept.storage_key}


def test_failed_flush_leaves_no_bytes(
    setup: Setup, stored: Callable[[], set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored()
    monkeypatch.setattr(evidence, "new_key", lambda: "2025/01/" + "0" * 32)
    add_file(setup.nomination, upload(pdf_bytes(), "a.pdf"), setup.clerk)
    _db.session.commit()
    first = stored() - before
    with pytest.raises(sa.exc.IntegrityError):  # the same key twice: the unique constraint
        add_file(setup.nomination, upload(image_bytes("PNG"), "b.png"), setup.clerk)
    _db.session.rollback()
    assert stored() - before == set()  # the second write replaced and then removed the key
    assert first == {"2025/01/" + "0" * 32}
    assert [f.original_name for f in rows()] == ["a.pdf"]


# --------------------------------------------------------------------------- submission minutes


def test_minutes_of_a_submission(
    client: FlaskClient, setup: Setup, make_user: Callable[..., User]
) -> None:
    submission = make_submission(
        setup.filing, setup.nomination.unit, setup.head, [setup.nomination]
    )
    data = pdf_bytes(100)
    file = add_minutes(submission, upload(data, "Biên bản họp Hội đồng.pdf"), setup.head)
    _db.session.commit()
    assert (file.submission_id, file.nomination_id) == (submission.id, None)

    logged_in(client, setup.clerk)
    response = client.get(f"/files/{file.id}")
    assert (response.status_code, response.data) == (200, data)
    client.post("/logout")
    logged_in(client, make_user(Role.APPROVER))
    assert client.get(f"/files/{file.id}").status_code == 200
    client.post("/logout")
    logged_in(client, make_user(Role.UNIT_HEAD))
    assert client.get(f"/files/{file.id}").status_code == 404


def test_minutes_are_closed_once_a_nomination_went_on(setup: Setup) -> None:
    submission: Submission = make_submission(
        setup.filing, setup.nomination.unit, setup.head, [setup.nomination]
    )
    add_file(setup.nomination, upload(pdf_bytes(), "minh chứng.pdf"), setup.clerk)
    minutes = add_minutes(submission, upload(pdf_bytes(), "Biên bản.pdf"), setup.head)
    bring_to(setup.nomination, NominationState.SUBMITTED, head=setup.head, board=setup.filing.board)
    with pytest.raises(EvidenceError, match="Tờ trình này không còn thay đổi được"):
        add_minutes(submission, upload(pdf_bytes(), "Biên bản 2.pdf"), setup.head)
    with pytest.raises(EvidenceError, match="không thêm hay xóa tài liệu được"):
        remove_file(minutes, setup.head)
    assert evidence.can_change(minutes, setup.head) is False
    assert evidence.can_view(minutes, setup.filing.board) is True


def test_minutes_removed_by_the_unit_go_back_home(
    client: FlaskClient, setup: Setup, stored: Callable[[], set[str]]
) -> None:
    submission = make_submission(setup.filing, setup.nomination.unit, setup.head, [])
    file = add_minutes(submission, upload(pdf_bytes(), "Biên bản.pdf"), setup.head)
    _db.session.commit()
    logged_in(client, setup.head)
    response = client.post(f"/files/{file.id}/delete")
    assert (response.status_code, response.headers["Location"]) == (
        302,
        f"/dossiers/{submission.id}",
    )
    assert flashes(client) == [("success", "Đã xóa tệp “Biên bản.pdf” khỏi hồ sơ.")]
    assert rows()[0].deleted_at is not None


# --------------------------------------------------------------------------- the partial


def test_partial_lists_files_escaped_with_actions_for_the_unit(
    app: Flask, setup: Setup, make_user: Callable[..., User]
) -> None:
    evil = '<img src=x onerror="alert(1)">.pdf'
    file = add_file(
        setup.nomination,
        upload(pdf_bytes(2048), evil),
        setup.clerk,
        criterion_id=setup.filing.criteria["1.1"].id,
    )
    _db.session.commit()

    def render(user: User) -> str:
        with app.test_request_context("/"):
            login_user(user)
            return render_template("nominations/_evidence.html", nomination=setup.nomination)

    html = render(setup.clerk)
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;.pdf" in html
    assert "<img src=x" not in html
    assert f'href="/files/{file.id}"' in html
    assert f'action="/files/{file.id}/delete"' in html
    assert f'action="/nominations/{setup.nomination.id}/files"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'accept=".pdf,.docx,.xlsx,.jpg,.jpeg,.png"' in html
    assert file.sha256[:12] in html
    assert "2 KB" in html
    assert "1.1" in html
    assert "Mỗi tệp tối đa 20 MB; tổng các tệp của một hồ sơ tối đa 100 MB." in html
    assert " style=" not in html and "<script" not in html

    board_view = render(make_user(Role.BOARD))
    assert f'href="/files/{file.id}"' in board_view
    assert "/delete" not in board_view
    assert "multipart/form-data" not in board_view


def test_partial_without_files(app: Flask, setup: Setup) -> None:
    with app.test_request_context("/"):
        login_user(setup.clerk)
        html = render_template("nominations/_evidence.html", nomination=setup.nomination)
    assert "Chưa có tài liệu minh chứng." in html


def test_format_size() -> None:
    assert evidence.format_size(1) == "1 KB"
    assert evidence.format_size(850 * 1024) == "850 KB"
    assert evidence.format_size(int(1.25 * MB)) == "1,2 MB"
    assert evidence.format_mb(10) == "0,1"


def test_more_archive_members_than_an_office_file_needs(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence, "MAX_ZIP_MEMBERS", 2)
    with pytest.raises(EvidenceError, match="bị hỏng hoặc không đọc được"):
        add_file(setup.nomination, upload(office_bytes("docx"), "a.docx"), setup.clerk)


def test_pdf_signature_without_a_version(setup: Setup) -> None:
    with pytest.raises(EvidenceError, match="bị hỏng hoặc không đọc được"):
        add_file(setup.nomination, upload(b"%PDF" + pdf_bytes()[8:], "a.pdf"), setup.clerk)


def test_broken_content_types_part(setup: Setup) -> None:
    data = office_bytes("docx")
    at = data.index(b"PK\x03\x04")  # the first member is [Content_Types].xml: damage its data
    header_end = at + 30 + len("[Content_Types].xml")
    broken = data[:header_end] + b"\xff" * 20 + data[header_end + 20 :]
    with pytest.raises(EvidenceError, match="bị hỏng hoặc không đọc được"):
        add_file(setup.nomination, upload(broken, "a.docx"), setup.clerk)


def test_download_of_a_file_whose_bytes_are_missing_is_404(
    client: FlaskClient, setup: Setup
) -> None:
    file = add_file(setup.nomination, upload(pdf_bytes(), "a.pdf"), setup.clerk)
    _db.session.commit()
    get_storage().delete(file.storage_key)
    logged_in(client, setup.clerk)
    assert client.get(f"/files/{file.id}").status_code == 404


def test_the_nomination_page_shows_the_evidence_panel(client: FlaskClient, setup: Setup) -> None:
    file = add_file(setup.nomination, upload(pdf_bytes(), "Báo cáo.pdf"), setup.clerk)
    _db.session.commit()
    logged_in(client, setup.clerk)
    html = client.get(f"/nominations/{setup.nomination.id}").get_data(as_text=True)
    assert 'id="evidence"' in html
    assert f'<a href="/files/{file.id}">Báo cáo.pdf</a>' in html
    assert f'action="/nominations/{setup.nomination.id}/files"' in html
