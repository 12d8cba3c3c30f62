"""Chinese labels of kind, category and disclosure: accepted, listed with the codes in messages,
and every field and code documented in docs/item-reference.md."""

from __future__ import annotations

import pytest

from heze_hub.items import labels
from heze_hub.items.item_file import ItemFile
from tests.support import REPO

REFERENCE = (REPO / "docs" / "item-reference.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", ["kind", "category", "disclosure"])
def test_every_code_and_its_label_are_accepted(field: str) -> None:
    for code in labels.codes(field):
        assert labels.code_of(field, code) == code
        assert labels.code_of(field, labels.label_of(field, code)) == code
        assert labels.code_of(field, f" {labels.label_of(field, code)} ") == code


def test_short_forms_and_unknown_values() -> None:
    assert labels.code_of("kind", "公告") == "announcement"
    assert labels.code_of("kind", "公示") == "announcement"
    assert labels.code_of("category", "结果") == "result"
    assert labels.code_of("kind", "公文") == "公文"  # left for the model to refuse
    assert labels.code_of("kind", 3) == 3


def test_choices_list_code_and_label() -> None:
    text = labels.choices_text("category")
    assert "decision（决策公开）" in text and "result（结果公开）" in text


def test_reference_documents_every_field_and_code() -> None:
    for name in ItemFile.model_fields:
        assert f"`{name}`" in REFERENCE, name
    # Fields and kinds of DESIGN §12 and §5.6, documented even before every module knows them.
    for name in ("correction", "repeals", "valid_until", "boards", "comment_until",
                 "comment_address", "draft_of", "major", "draft", "comment_summary"):
        assert f"`{name}`" in REFERENCE, name
    for field in ("kind", "category"):
        for code in labels.codes(field):
            assert f"`{code}`" in REFERENCE and labels.label_of(field, code) in REFERENCE


def test_no_message_points_to_design() -> None:
    """Users have the repository's docs, not the design notes: messages point there."""
    import ast

    offenders = []
    for path in [*(REPO / "heze_hub").rglob("*.py"), *(REPO / "plugins").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        offenders += [
            f"{path.relative_to(REPO)}:{n.lineno}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and "DESIGN §" in n.value and id(n) not in docstrings
        ]
    assert not offenders
