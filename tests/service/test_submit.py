"""From an upload to the outbox (DESIGN §13): file names, messages that name the client's file
and never the server's folder, the department rule, uploads kept only when needed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from heze_hub.config import load_config
from heze_hub.hub import Hub
from heze_hub.service.accounts import Account
from heze_hub.service.submit import Invalid, Refused, Upload, answer, register, stage
from tests.service.served import CONFIG, DEPT, OTHER_DEPT, item_json

DEPT_USER = Account("dept", "department", (DEPT,))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    (tmp_path / "channels.toml").write_text(CONFIG, encoding="utf-8")
    h = Hub(load_config(str(tmp_path / "channels.toml")))
    try:
        yield h
    finally:
        h.close()


def _item(title: str, department: str = DEPT, **fields: object) -> Upload:
    data = json.dumps(item_json(title, department, **fields), ensure_ascii=False).encode()
    return Upload("item.json", data, True)


def test_file_names_are_checked_before_anything_is_written(hub: Hub) -> None:
    for name in ("../x.json", "/etc/x.json", "a/../../x", "a\\b", "x\x00.json", ""):
        with pytest.raises(Invalid) as caught:
            stage(hub, [Upload(name, b"{}", True)], DEPT_USER)
        assert "文件名" in caught.value.errors[0]["message"]
    with pytest.raises(Invalid, match="没有信息文件"):
        stage(hub, [Upload("a.pdf", b"%PDF", False)], DEPT_USER)
    with pytest.raises(Invalid, match="重复"):
        stage(hub, [_item("甲"), _item("乙")], DEPT_USER)
    assert not (hub.state_dir / "uploads").exists() or not any(
        (hub.state_dir / "uploads").rglob("*.json"))


def test_messages_name_the_clients_file_and_nothing_is_kept(hub: Hub) -> None:
    with pytest.raises(Invalid) as caught:
        stage(hub, [_item("关于缺少附件的通知", attachments=[{"path": "files/a.pdf",
                                                                "title": "附件"}])], DEPT_USER)
    [err] = caught.value.errors
    assert err["file"] == "item.json" and err["field"] == "attachments"
    assert str(hub.state_dir) not in err["message"] and "files/a.pdf" in err["message"]
    assert not any((hub.state_dir / "uploads").rglob("*.json"))


def test_department_rule(hub: Hub) -> None:
    with pytest.raises(Refused, match=OTHER_DEPT):
        stage(hub, [_item("关于他局的通知", OTHER_DEPT)], DEPT_USER)
    operator = Account("op", "operator", ())
    stage(hub, [_item("关于他局的通知", OTHER_DEPT)], operator).discard()


def test_attachments_stay_for_deliveries_and_unchanged_items_keep_nothing(hub: Hub) -> None:
    files = [_item("关于附件的通知", attachments=[{"path": "files/表.csv", "title": "表"}]),
             Upload("files/表.csv", "甲,乙\n".encode(), False)]
    staged = stage(hub, files, DEPT_USER)
    regs = register(hub, staged, DEPT_USER, "api")
    assert (staged.folder / "files" / "表.csv").is_file()
    body = answer(regs)
    assert body["items"][0]["version"] == 1 and "unchanged" not in body["items"][0]
    again = stage(hub, files, DEPT_USER)
    regs = register(hub, again, DEPT_USER, "api")
    assert answer(regs)["items"][0]["unchanged"] is True
    assert not again.folder.exists()
