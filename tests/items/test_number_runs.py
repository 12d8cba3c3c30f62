"""Numbers as a reader sees them, whatever their spelling (heze_hub.items.number_runs)."""

from __future__ import annotations

import pytest

from heze_hub.items.number_runs import number_runs, reader_digits, reader_text


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("电话13805301234。", [("13805301234", True)]),
        ("电话１３８０５３０１２３４", [("13805301234", False)]),
        ("&#49;&#51;&#56;&#x30;&#x35;&#x33;&#48;&#49;&#50;&#51;&#52;", [("13805301234", False)]),
        ("138 0530 1234", [("13805301234", False)]),
        ("138<em>0530</em>1234", [("13805301234", False)]),
        ("3717 0219 8005 1230 1x", [("37170219800512301X", False)]),
        ("138****1234", []),  # four stars are a mask, never a gap
        ("2018年13项", []),  # other text between digits ends a run
        ("ab13805301234", []),  # part of a longer code
        ("123456", []),  # under seven digits
    ],
)
def test_number_runs(text: str, runs: list[tuple[str, bool]]) -> None:
    assert [(r.digits, r.plain) for r in number_runs(text)] == runs


def test_a_run_spans_its_spelling() -> None:
    text = "电话：１３８ ０５３０ １２３４。"
    (run,) = number_runs(text)
    assert text[run.start : run.end] == "１３８ ０５３０ １２３４"


def test_reader_digits_and_text() -> None:
    assert reader_digits("&#x31;3８<b>0</b>") == "1380"
    assert reader_text("Ｘ&amp;１") == "X&1"
