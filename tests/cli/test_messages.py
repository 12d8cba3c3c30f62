"""Every message a user can meet on the way in is Chinese: Click's own errors and help, the
sandbox's argparse, the TOML parser, the configuration, item files of the wrong kind.

A table of bad commands and bad files goes through the real ``hub`` as a subprocess; each answer
is read by :func:`tests.chinese.english_in`, which is itself tested here on Click's and
argparse's English so that it can fail.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from heze_hub.cli import click_zh
from tests.chinese import english_in
from tests.support import HubRun, init_config, write_item


def test_the_check_catches_click_argparse_and_tomllib_english() -> None:
    for english in (
        "Error: No such command 'pubish'.",
        "Usage: hub [OPTIONS] COMMAND [ARGS]...",
        "  -h, --help  Show this message and exit.",
        "Error: Missing option '--year'.",
        "Error: Invalid value for '--status': 'x' is not one of 'published', 'failed'.",
        "usage: hub sandbox [-h] [--port PORT]",
        "hub sandbox: error: argument --port: invalid int value: 'x'",
        "Expected newline or end of document after a statement (at line 4, column 18)",
        "Traceback (most recent call last):",
        "bad.md: not valid UTF-8, re-save the file as UTF-8",
    ):
        assert english_in(english), english
    for chinese in (
        "错误：没有名为 'pubish' 的命令。",
        "用法： hub [选项] 命令 [参数]...",
        "错误：x.md：字段 kind（体裁）：取值无效，应为以下之一（代码或中文均可）：notice（通知）",
        "  已发布 portal  http://localhost:8000/xxgk/371700/2018-00010.html",
    ):
        assert not english_in(chinese), chinese


def test_every_translated_click_message_is_one_click_has() -> None:
    """A Click upgrade that changes a message id would silently bring English back."""
    import click

    folder = Path(click.__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.py"))
    unescaped = source.replace("\\n", "\n").replace("\\t", "\t")
    missing = [m for m in click_zh.MESSAGES if m not in unescaped]
    missing += [s for pair in click_zh.PLURALS for s in pair if s not in unescaped]
    assert not missing


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


#: Bad files: (file name, bytes, what the message must name)
BAD_FILES = [
    ("unquoted-date.md", "+++\ntitle = \"通知\"\ndepartment = \"菏泽市测试局\"\n"
     "written_on = 2026/11/26\nkind = \"notice\"\ncategory = \"service\"\n+++\n正文\n",
     "written_on"),
    ("unknown-field.md", "+++\ntitle = \"通知\"\ncolour = \"red\"\n+++\n正文\n", "colour"),
    ("wrong-kind.md", "+++\ntitle = \"通知\"\ndepartment = \"菏泽市测试局\"\n"
     "written_on = 2018-06-01\nkind = \"公文\"\ncategory = \"service\"\n+++\n正文\n", "通知"),
    ("chinese-quotes.md", "+++\ntitle = “通知”\n+++\n", "title"),
    ("report.docx", _docx(), "Word"),
    ("renamed-word.md", _docx(), "Word"),
    ("scan.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    ("photo.md", b"\x89PNG\r\n\x1a\n" + bytes(40), "PNG"),
    ("old-word.md", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)
     + "WordDocument".encode("utf-16-le"), "Word 97-2003"),
    ("gbk.md", "+++\ntitle = \"菏泽\"\n+++\n".encode("gbk"), "UTF-8"),
    ("empty.md", b"", "为空"),
]


@pytest.mark.parametrize(("name", "content", "named"), BAD_FILES,
                         ids=[f[0] for f in BAD_FILES])
def test_bad_item_files_are_told_in_chinese(
    hub_run: HubRun, name: str, content: str | bytes, named: str
) -> None:
    path = hub_run.cwd / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    proc = hub_run("publish", name, check=2)
    assert name in proc.stderr and named in proc.stderr
    assert "未发送任何内容" in proc.stderr
    assert not english_in(proc.stdout + proc.stderr), proc.stderr
    assert not (hub_run.cwd / "public").exists()


BAD_COMMANDS: list[tuple[list[str], int]] = [
    (["pubish", "x.md"], 2),
    (["publish"], 2),
    (["publish", "--bogus"], 2),
    (["publish", "missing.md"], 2),
    (["publish", "good.md", "--channel", "nope"], 2),
    (["receipts", "--status", "成功"], 2),
    (["receipts", "--since", "2018/1/1"], 2),
    (["report", "annual"], 2),
    (["report", "annual", "--year", "18"], 2),
    (["audit", "--year", "abc"], 2),
    (["audit", "--year", "18"], 2),
    (["status", "371700/2099-00001"], 2),
    (["verify", "no-such-folder"], 2),
    (["init"], 2),
    (["sandbox", "--port", "x"], 2),
    (["sandbox", "--bogus"], 2),
    (["sandbox", "--faults", "missing.toml", "--port", "0"], 2),
    (["--help"], 0),
    (["publish", "--help"], 0),
    (["receipts", "--help"], 0),
    (["sandbox", "--help"], 0),
    ([], 0),
]


@pytest.mark.parametrize(("args", "status"), BAD_COMMANDS,
                         ids=[" ".join(a) or "(none)" for a, _ in BAD_COMMANDS])
def test_commands_answer_in_chinese(hub_run: HubRun, args: list[str], status: int) -> None:
    write_item(hub_run.cwd / "good.md", "关于测试的通知")
    proc = hub_run(*args)
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    text = proc.stdout + proc.stderr
    assert text.strip()
    assert not english_in(text), text
    if status == 2:
        assert re.search(r"错误", proc.stderr), proc.stderr


def test_no_configuration_anywhere_points_to_hub_init(tmp_path: Path) -> None:
    """A folder with no channels.toml up the tree: every command says so (and creates nothing)
    instead of starting a second hub on built-in defaults."""
    run = HubRun(cwd=tmp_path)
    write_item(tmp_path / "a.md", "关于测试的通知")
    for args in (["publish", "a.md"], ["status"], ["receipts"], ["audit"], ["channels"]):
        proc = run(*args, check=2)
        assert "找不到配置文件 channels.toml" in proc.stderr and "hub init" in proc.stderr
        assert not english_in(proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_hub_init_then_publish_from_a_subfolder(tmp_path: Path) -> None:
    """``hub init`` writes a commented channels.toml; a command run in a subfolder finds it and
    keeps the state beside it, not in the subfolder."""
    run = HubRun(cwd=tmp_path)
    proc = run("init", "--name", "菏泽市人民政府", "--site-code", "3717000001", check=0)
    config = tmp_path / "channels.toml"
    assert str(config) in proc.stdout
    text = config.read_text(encoding="utf-8")
    assert 'name = "菏泽市人民政府"' in text and "#" in text
    sub = tmp_path / "items"
    sub.mkdir()
    write_item(sub / "a.md", "关于测试的通知")
    HubRun(cwd=sub)("publish", "a.md", check=0)
    assert (tmp_path / ".hub").is_dir() and (tmp_path / "public" / "index.html").is_file()
    assert not (sub / ".hub").exists() and not (sub / "public").exists()
    again = run("init", check=2)
    assert "已存在" in again.stderr and config.read_text(encoding="utf-8") == text


def test_read_only_commands_create_no_state(tmp_path: Path) -> None:
    init_config(tmp_path)
    run = HubRun(cwd=tmp_path)
    for args in (["status"], ["receipts"], ["audit"], ["channels"],
                 ["report", "annual", "--year", "2018"]):
        run(*args)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["channels.toml"]


def test_chinese_labels_accepted_for_kind_category_disclosure(hub_run: HubRun) -> None:
    write_item(hub_run.cwd / "a.md", "关于测试的通知", kind="通知", category="服务公开",
               disclosure="主动公开")
    write_item(hub_run.cwd / "b.md", "关于测试的公告", kind="公告", category="结果")
    data = hub_run.json("publish", "a.md", "b.md")
    assert [d["deliveries"][0]["status"] for d in data] == ["published", "published"]
    page = (hub_run.cwd / "public" / "xxgk" / "371700" / "2018-00001.json").read_text("utf-8")
    assert '"kind": "notice"' in page.replace(": ", ": ") or "notice" in page


def test_status_option_takes_the_label_tables_show(hub_run: HubRun) -> None:
    write_item(hub_run.cwd / "a.md", "关于测试的通知")
    hub_run("publish", "a.md", check=0)
    by_label = hub_run.json("receipts", "--status", "已发布")
    by_code = hub_run.json("receipts", "--status", "published")
    assert by_label == by_code and len(by_code) == 2


def test_every_command_help_is_chinese() -> None:
    """The help of every command and subcommand, read in-process from the real command tree."""
    import click

    from heze_hub.cli.main import cli

    def walk(cmd: click.Command, parent: click.Context | None, name: str) -> list[str]:
        ctx = click.Context(cmd, info_name=name, parent=parent)
        found = [f"{ctx.command_path}: {e}" for e in english_in(cmd.get_help(ctx))]
        if isinstance(cmd, click.Group):
            for sub_name, sub in cmd.commands.items():
                found += walk(sub, ctx, sub_name)
        return found

    assert walk(cli, None, "hub") == []
