"""Atomic file writing: the old file or the new one, whole, and no temporary file left."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from heze_hub.files import atomic_write, atomic_writer, file_sha256, writable_dir_problem


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_bytes_and_text_creating_folders(tmp_path):
    target = tmp_path / "a" / "b.txt"
    assert atomic_write(target, b"one")
    assert target.read_bytes() == b"one"
    assert atomic_write(target, "二\n")
    assert target.read_bytes() == "二\n".encode()
    assert entries(target.parent) == ["b.txt"]


def test_only_if_changed_leaves_an_identical_file_alone(tmp_path):
    target = tmp_path / "page.html"
    assert atomic_write(target, b"one")
    os.utime(target, (1_000_000, 1_000_000))
    assert not atomic_write(target, b"one", only_if_changed=True)
    assert target.stat().st_mtime == 1_000_000
    assert atomic_write(target, b"two", only_if_changed=True)
    assert target.read_bytes() == b"two"
    assert atomic_write(tmp_path / "new", b"", only_if_changed=True)


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640])
def test_mode(tmp_path, mode):
    target = tmp_path / "f"
    atomic_write(target, b"x", mode)
    assert target.stat().st_mode & 0o777 == mode


def test_default_mode_is_world_readable_whatever_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        atomic_write(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "f"
    atomic_write(target, b"old")
    with pytest.raises(RuntimeError), atomic_writer(target) as f:
        f.write(b"half of the new")
        raise RuntimeError("disk gone")
    assert target.read_bytes() == b"old"
    assert entries(tmp_path) == ["f"]


def test_a_failed_first_write_leaves_nothing(tmp_path):
    with pytest.raises(ValueError), atomic_writer(tmp_path / "f") as f:
        f.write(b"x")
        raise ValueError
    assert entries(tmp_path) == []


def test_streaming_text_without_newline_translation(tmp_path):
    target = tmp_path / "t.csv"
    with atomic_writer(target, mode=0o600, encoding="utf-8-sig") as f:
        f.write("a,b\r\n")
        f.write("甲,乙\r\n")
    assert target.read_bytes() == "\ufeffa,b\r\n甲,乙\r\n".encode()
    assert target.stat().st_mode & 0o777 == 0o600


def test_replaces_a_file_a_reader_holds_open(tmp_path):
    target = tmp_path / "f"
    atomic_write(target, b"old")
    with target.open("rb") as reader:
        atomic_write(target, b"new")
        assert reader.read() == b"old"  # the reader keeps the whole old file
    assert target.read_bytes() == b"new"


def test_file_sha256(tmp_path):
    data = os.urandom(3 * (1 << 20) + 5)  # more than one chunk
    (tmp_path / "f").write_bytes(data)
    assert file_sha256(tmp_path / "f") == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert file_sha256(str(tmp_path / "empty")) == hashlib.sha256(b"").hexdigest()


def test_writable_dir_problem(tmp_path):
    assert writable_dir_problem(tmp_path) is None
    assert writable_dir_problem(tmp_path / "not" / "yet") is None  # would be created
    (tmp_path / "file").write_bytes(b"")
    assert "不可写" in writable_dir_problem(tmp_path / "file" / "below")
