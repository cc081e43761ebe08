"""The storage interface and its local-disk backend (awards/storage.py)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from flask import Flask

from awards import storage
from awards.storage import InvalidKeyError, LocalStorage, Storage, StorageError, get_storage


class Failing(io.BytesIO):
    """A stream that breaks after its first chunk, as a dropped upload would."""

    def __init__(self) -> None:
        super().__init__(b"x" * (storage.CHUNK * 2))
        self.calls = 0

    def read(self, size: int | None = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise OSError("connection reset")
        return super().read(size)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_round_trip(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path)
    key = storage.new_key()
    data = "Báo cáo thành tích".encode() * 1000

    assert local.put(key, io.BytesIO(data)) == len(data)
    assert local.exists(key) is True
    with local.open(key) as stream:
        assert stream.read() == data
    assert _files(tmp_path) == [key]

    local.delete(key)
    assert local.exists(key) is False
    local.delete(key)  # a missing key is not an error
    with pytest.raises(FileNotFoundError):
        local.open(key)


def test_put_streams_from_the_current_position_and_replaces(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path)
    stream = io.BytesIO(b"headerBODY")
    stream.seek(6)
    assert local.put("a/b", stream) == 4
    assert local.put("a/b", io.BytesIO(b"second")) == 6
    with local.open("a/b") as read:
        assert read.read() == b"second"
    assert _files(tmp_path) == ["a/b"]


def test_failed_write_leaves_nothing_and_keeps_the_old_bytes(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path)
    local.put("2025/09/old", io.BytesIO(b"old"))
    with pytest.raises(OSError, match="connection reset"):
        local.put("2025/09/old", Failing())
    with pytest.raises(OSError, match="connection reset"):
        local.put("2025/09/new", Failing())
    # No temporary file is left, the old content is intact, the new key does not exist.
    assert _files(tmp_path) == ["2025/09/old"]
    with local.open("2025/09/old") as read:
        assert read.read() == b"old"
    assert local.exists("2025/09/new") is False


def test_write_is_a_rename_of_a_complete_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[str, str, bytes]] = []
    real_replace = os.replace

    def spy(source: str, target: str) -> None:
        renames.append((Path(source).name, str(target), Path(source).read_bytes()))
        real_replace(source, target)

    monkeypatch.setattr(storage.os, "replace", spy)
    local = LocalStorage(tmp_path)
    local.put("k/one", io.BytesIO(b"complete"))

    assert len(renames) == 1
    temp_name, target, content = renames[0]
    assert temp_name.startswith(".incoming-")
    assert target == str(tmp_path / "k" / "one")
    assert content == b"complete"


def test_new_keys_are_generated_and_unique() -> None:
    keys = {storage.new_key() for _ in range(100)}
    assert len(keys) == 100
    for key in keys:
        assert re.fullmatch(r"\d{4}/\d{2}/[0-9a-f]{32}", key), key
        assert storage.check_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a/..",
        "..",
        "a//b",
        "a\\b",
        "a/b/",
        ".hidden",
        "a/.hidden",
        "C:/x",
        "a\x00b",
        "tệp",
        "a b",
    ],
)
def test_bad_keys_are_refused(tmp_path: Path, key: str) -> None:
    local = LocalStorage(tmp_path / "root")
    for call in (
        lambda: local.put(key, io.BytesIO(b"x")),
        lambda: local.open(key),
        lambda: local.exists(key),
        lambda: local.delete(key),
    ):
        with pytest.raises(InvalidKeyError):
            call()
    assert not (tmp_path / "root").exists()


def test_local_storage_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(LocalStorage(tmp_path), Storage)


def test_get_storage_uses_the_upload_root(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = get_storage()
    assert isinstance(chosen, LocalStorage)
    assert chosen.root == Path(app.config["UPLOAD_ROOT"]).resolve()

    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "s3")
    with pytest.raises(StorageError, match="Unknown STORAGE_BACKEND 's3'"):
        get_storage()


def test_get_storage_refuses_a_root_in_the_web_root(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(Path(app.static_folder or "") / "uploads"))
    with pytest.raises(StorageError, match="static folder"):
        get_storage()


def test_default_upload_root_is_outside_the_web_root() -> None:
    from config import INSTANCE_DIR, Config

    root = Path(Config.UPLOAD_ROOT).resolve()
    assert root.is_relative_to(INSTANCE_DIR.resolve()) or "UPLOAD_ROOT" in os.environ
    assert Config.STORAGE_BACKEND == "local" or "STORAGE_BACKEND" in os.environ


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside)
    local = LocalStorage(root)
    with pytest.raises(InvalidKeyError):
        local.put("link/x", io.BytesIO(b"x"))
    assert list(outside.iterdir()) == []
