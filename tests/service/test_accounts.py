"""``hub users`` (DESIGN §13): tokens alone on the last line, shown once and stored hashed;
argon2id passwords; disabling; Chinese messages for bad input."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.support import HubRun, hub_executable, init_config


@pytest.fixture(autouse=True)
def hub_folder(tmp_path: Path) -> Path:
    """Accounts belong to a hub: the folder has its channels.toml (as after ``hub init``)."""
    return init_config(tmp_path)


def _add(tmp: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([hub_executable(), "users", "add", *args], cwd=tmp, text=True,
                          input=password, capture_output=True, timeout=60)


def test_add_prints_a_token_alone_on_the_last_line_stored_only_hashed(tmp_path: Path) -> None:
    proc = _add(tmp_path, "edu", "--role", "department", "--department", "菏泽市教育局",
                "--password-stdin", password="s3cret-passw0rd\n")
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.splitlines()[-1]
    assert token.startswith("hub_") and len(token) >= 43 and " " not in token
    run = HubRun(cwd=tmp_path)
    second = run("users", "token", "edu", check=0).stdout.splitlines()[-1]
    assert second != token and second.startswith("hub_")
    db = (tmp_path / ".hub" / "hub.db").read_bytes()
    for secret in (token, second, "s3cret-passw0rd"):
        assert secret.encode() not in db
    with sqlite3.connect(tmp_path / ".hub" / "hub.db") as conn:
        [(hashed,)] = conn.execute("select password_hash from users").fetchall()
    assert hashed.startswith("$argon2id$")
    listed = run("users", "list", "--json", check=0)
    assert json.loads(listed.stdout) == [{"name": "edu", "role": "department",
                                          "departments": ["菏泽市教育局"], "disabled": False}]
    assert token not in listed.stdout


def test_bad_input_is_refused_in_chinese(tmp_path: Path) -> None:
    run = HubRun(cwd=tmp_path)
    assert "至少要有一个发布机构" in run("users", "add", "x", "--role", "department",
                                   check=2).stderr
    assert "不需要" in run("users", "add", "y", "--role", "auditor", "--department", "局",
                          check=2).stderr
    run("users", "add", "z", "--role", "auditor", check=0)
    assert "已存在" in run("users", "add", "z", "--role", "auditor", check=2).stderr
    assert "不存在" in run("users", "token", "nobody", check=2).stderr
    short = _add(tmp_path, "w", "--role", "auditor", "--password-stdin", password="short\n")
    assert short.returncode == 2 and "至少 8 个字符" in short.stderr


def test_disabled_users_get_no_new_token(tmp_path: Path) -> None:
    run = HubRun(cwd=tmp_path)
    run("users", "add", "aud", "--role", "auditor", check=0)
    run("users", "disable", "aud", check=0)
    assert "已停用" in run("users", "token", "aud", check=2).stderr
    assert json.loads(run("users", "list", "--json", check=0).stdout)[0]["disabled"] is True
