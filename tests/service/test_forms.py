"""The 提交 form (DESIGN §13): an input for every field of the item contract, read back into the
§2 JSON form."""

from __future__ import annotations

from heze_hub.items.item_file import ItemFile
from heze_hub.service.forms import fields, item_from_form


def test_every_field_of_the_contract_has_an_input() -> None:
    names = {f.name for f in fields()}
    assert names | {"attachments"} == set(ItemFile.model_fields)
    assert fields()[-1].name == "body"
    kind = next(f for f in fields() if f.name == "kind")
    assert kind.widget == "select" and ("notice", "通知") in kind.choices and kind.required
    assert all(f.label for f in fields())


def test_filled_inputs_become_the_json_form() -> None:
    item = item_from_form({
        "title": " 标题 ", "kind": "notice", "topics": "教育\n\n招生\n", "posting_days": "10",
        "credit": '{"type": "penalty"}', "decided_at": "2018-06-01T10:30", "summary": "",
        "redact": "张三", "body": "正文"}, [("a.pdf", "附件")])
    assert item == {
        "title": " 标题 ", "kind": "notice", "topics": ["教育", "招生"], "posting_days": 10,
        "credit": {"type": "penalty"}, "decided_at": "2018-06-01T10:30:00+08:00",
        "redact": ["张三"], "body": "正文", "attachments": [{"path": "a.pdf", "title": "附件"}]}
    # What does not parse is passed on as typed, for the hub's own message about the field.
    assert item_from_form({"posting_days": "十", "credit": "{"}, []) == {
        "posting_days": "十", "credit": "{"}
