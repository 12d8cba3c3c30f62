"""Markdown rendering, sanitizing, plain text and summaries (DESIGN §1, §3), table-driven."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest
from lxml import etree

from heze_hub.errors import InputError
from heze_hub.items.render import (
    MAX_BODY_CHARS,
    MAX_BODY_DEPTH,
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    RenderedBody,
    body_problem,
    derive_summary,
    render_markdown,
    sanitize_html,
    summary_problem,
)
from tests.support import EXAMPLES


def _example(name: str) -> tuple[str, str]:
    path = EXAMPLES / name
    if not path.exists():
        raise FileNotFoundError(path)  # the examples ship with the repository
    raw = path.read_text(encoding="utf-8")
    title = re.search(r'^title = "(.*)"$', raw, re.M).group(1)
    return title, raw.split("+++", 2)[2]


# --- XSS: every payload neutralised -------------------------------------------------------------
XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<iframe src="https://evil.example"></iframe>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<div onclick=alert(1)>x</div>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    '![x](https://x.example/a.png "t" onerror=alert(1))',
    "[x]: javascript:alert(1)\n\n[y][x]",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "<!-- <script>alert(1)</script> -->",
    "正文<script>alert(1)</script>正文",
]
_DANGER = re.compile(
    r"<script|<iframe|<svg|<style|<div|\son\w+\s*=|javascript:|data:|vbscript:", re.I
)


@pytest.mark.parametrize("payload", XSS)
def test_xss_neutralised(payload: str) -> None:
    html = render_markdown(payload).html
    # Only text may mention these; no tag or attribute may carry them.
    tags = re.findall(r"<[^>]*>", html)
    for tag in tags:
        assert not _DANGER.search(tag), (payload, html)


@pytest.mark.parametrize("payload", XSS)
def test_xss_neutralised_by_sanitizer_alone(payload: str) -> None:
    # Even raw HTML handed straight to the sanitizer (a renderer bug, a future option) is safe.
    html = sanitize_html(payload)
    for tag in re.findall(r"<[^>]*>", html):
        assert not _DANGER.search(tag), (payload, html)
    assert "alert(1)</script>" not in html


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    assert render_markdown("<b>粗</b>").html == "<p>&lt;b&gt;粗&lt;/b&gt;</p>\n"


SANITIZE = [
    ('<p onclick="x" style="color:red" class="c" id="i">a</p>', "<p>a</p>"),
    ("<script>bad()</script><p>ok</p>", "<p>ok</p>"),
    ('<iframe src="https://x.example"></iframe><p>ok</p>', "<p>ok</p>"),
    ('<a href="https://a.example/" target="_blank">x</a>',
     '<a href="https://a.example/" rel="noopener noreferrer">x</a>'),
    ('<a href="mailto:a@b.cn">m</a>', '<a href="mailto:a@b.cn" rel="noopener noreferrer">m</a>'),
    ('<a href="/relative">r</a>', '<a rel="noopener noreferrer">r</a>'),
    ('<a href="ftp://x.example/">f</a>', '<a rel="noopener noreferrer">f</a>'),
    ('<img src="mailto:a@b.cn" alt="m">', '<img alt="m">'),
    ('<img src="https://x.example/a.png" alt="a" width="9">',
     '<img src="https://x.example/a.png" alt="a">'),
    ("<u>u</u><font>f</font><span>s</span>", "ufs"),
]


@pytest.mark.parametrize(("raw", "expected"), SANITIZE)
def test_sanitize_html(raw: str, expected: str) -> None:
    assert sanitize_html(raw) == expected


# --- what Markdown renders to ---------------------------------------------------------------------
RENDER = [
    ("# 标题", "<h1>标题</h1>"),
    ("###### 六级", "<h6>六级</h6>"),
    ("**粗** *斜* ~~删~~ `码`",
     "<p><strong>粗</strong> <em>斜</em> <del>删</del> <code>码</code></p>"),
    ("- 甲\n- 乙", "<ul>\n<li>甲</li>\n<li>乙</li>\n</ul>"),
    ("3. 丙\n4. 丁", '<ol start="3">\n<li>丙</li>\n<li>丁</li>\n</ol>'),
    ("> 引用", "<blockquote>\n<p>引用</p>\n</blockquote>"),
    ("---", "<hr>"),
    ("甲  \n乙", "<p>甲<br>\n乙</p>"),
    ("[门户](https://www.heze.gov.cn/ \"菏泽\")",
     '<p><a href="https://www.heze.gov.cn/" title="菏泽" rel="noopener noreferrer">门户</a></p>'),
    ("![图](https://www.heze.gov.cn/a.png)",
     '<p><img src="https://www.heze.gov.cn/a.png" alt="图"></p>'),
    ("```\ncode <x>\n```", "<pre><code>code &lt;x&gt;\n</code></pre>"),
    ("| a | b |\n|:-|-:|\n| 1 | 2 |",
     "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
     "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>"),
]


@pytest.mark.parametrize(("md", "expected"), RENDER)
def test_render_html(md: str, expected: str) -> None:
    assert render_markdown(md).html.strip() == expected


def test_rendered_body_is_frozen() -> None:
    body = render_markdown("正文")
    assert isinstance(body, RenderedBody)
    with pytest.raises(AttributeError):
        body.html = "x"  # type: ignore[misc]


TEXT = [
    ("第一段。\n\n第二段。", "第一段。\n\n第二段。"),
    ("## 一、总体要求\n\n正文。", "一、总体要求\n\n正文。"),
    ("**粗**和[链接](https://x.example/)和`码`", "粗和链接和码"),
    ("菏泽市水利局\n2018年6月20日", "菏泽市水利局\n2018年6月20日"),
    ("1. 甲；\n2. 乙。", "1. 甲；\n2. 乙。"),
    ("- 甲\n- 乙", "甲\n乙"),
    ("| 县区 | 资金 |\n|---|---|\n| 曹县 | 320 |", "县区\t资金\n曹县\t320"),
    ("&lt;转义&gt; &amp;", "<转义> &"),
    ("![图片说明](https://x.example/a.png)", "图片说明"),
    ("> 引用", "引用"),
    ("---", ""),
    ("", ""),
]


@pytest.mark.parametrize(("md", "expected"), TEXT)
def test_render_text(md: str, expected: str) -> None:
    assert render_markdown(md).text == expected


def test_text_has_no_markup_for_examples() -> None:
    for path in sorted(EXAMPLES.glob("*.md")):
        text = render_markdown(path.read_text(encoding="utf-8").split("+++", 2)[2]).text
        assert not re.search(r"<[a-z/]|\*\*|^#+ |\|---", text, re.M), path.name
        assert "\n\n\n" not in text


def test_dibao_table_text() -> None:
    _, body = _example("08-dibao-list.md")
    text = render_markdown(body).text
    assert "户主姓名\t保障人数\t居住社区（村）\t月救助金额（元）\n刘某\t3\t" in text


# --- summaries ---------------------------------------------------------------------------------
SUMMARY_FROM_EXAMPLES = [
    ("02-rural-revitalization-policy.md",
     "现将《菏泽市乡村振兴战略规划（2018—2022年）》印发给你们，请结合实际，认真贯彻执行。"),
    ("03-rural-revitalization-interpretation.md",
     "为贯彻落实中央和省关于实施乡村振兴战略的决策部署……"),
    ("04-food-recall.md",
     "经抽样检验，菏泽某食品有限公司生产的速冻水饺（规格：500克/袋，生产日期：2018年6月20日）"
     "菌落总数项目不符合食品安全国家标准。"),
    ("06-license-construction.md",
     "经审查，菏泽某建设工程有限公司申请的菏泽市牡丹区棚户区改造安置房项目（一期）"
     "符合建筑工程施工许可条件，准予许可。"),
]


@pytest.mark.parametrize(("name", "expected"), SUMMARY_FROM_EXAMPLES)
def test_derive_summary_examples(name: str, expected: str) -> None:
    title, body = _example(name)
    summary = derive_summary(render_markdown(body).text, title)
    assert summary == expected
    assert summary_problem(summary, title) is None


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.md")), ids=lambda p: p.name)
def test_derived_summaries_obey_the_rule(path: Path) -> None:
    title, body = _example(path.name)
    summary = derive_summary(render_markdown(body).text, title)
    assert summary
    assert len(summary) <= 100
    assert summary_problem(summary, title) is None


def test_derive_summary_cuts_long_sentence_at_clause() -> None:
    text = "，".join(["这是一个比较长的分句用于测试截断"] * 12) + "。"
    summary = derive_summary(text, "标题")
    assert len(summary) <= 100
    assert summary.endswith("…")
    assert summary.rstrip("…").endswith("截断")


def test_derive_summary_takes_whole_sentences() -> None:
    first = "第一句话说明了本公告的主要内容和目的。"
    text = first + "第二句" + "很长" * 60 + "。"
    assert derive_summary(text, "标题") == first


def test_derive_summary_limit() -> None:
    assert len(derive_summary("甲" * 300 + "。", "标题", limit=50)) <= 50


def test_derive_summary_never_the_title() -> None:
    title = "关于2018年度市级财政专项扶贫资金项目计划安排情况的公告"
    assert derive_summary(title + "\n\n" + title + "。", title) == ""


def test_derive_summary_skips_addressee_line() -> None:
    text = "各县区人民政府，市政府各部门：\n\n现将方案印发给你们，请认真贯彻执行。"
    assert derive_summary(text, "关于印发方案的通知") == "现将方案印发给你们，请认真贯彻执行。"


def test_derive_summary_nothing_usable() -> None:
    assert derive_summary("", "标题") == ""
    assert derive_summary("县区\t资金\n曹县\t320", "标题") == ""


PROBLEMS = [
    ("公布2018年度市级财政专项扶贫资金分配结果和项目计划安排，公示期10天，接受社会监督。",
     "关于2018年度市级财政专项扶贫资金项目计划安排情况的公告", None),
    ("关于2018年度市级财政专项扶贫资金项目计划安排情况的公告",
     "关于2018年度市级财政专项扶贫资金项目计划安排情况的公告", "只重复标题"),
    ("关于 2018 年度市级财政专项扶贫资金项目计划安排情况的公告。",
     "关于2018年度市级财政专项扶贫资金项目计划安排情况的公告", "只重复标题"),
    ("现发布关于2018年度市级财政专项扶贫资金项目计划安排情况的公告",
     "关于2018年度市级财政专项扶贫资金项目计划安排情况的公告", "只重复标题"),
    ("财政专项扶贫资金项目计划安排", "关于2018年度市级财政专项扶贫资金项目计划安排情况的公告",
     "标题的一部分"),
    ("甲" * 101, "标题", "最多 100 字"),
    ("甲" * 100, "标题", None),
    ("", "标题", "不能为空"),
    ("  ", "标题", "不能为空"),
    ("。。。", "标题", "标点符号"),
]


@pytest.mark.parametrize(("summary", "title", "message"), PROBLEMS)
def test_summary_problem(summary: str, title: str, message: str | None) -> None:
    problem = summary_problem(summary, title)
    if message is None:
        assert problem is None
    else:
        assert problem is not None and message in problem


# --- bounds on the work of one body ---------------------------------------------------------------
def _table(columns: int, rows: int, row: str | None = None) -> str:
    head = "|" + "列|" * columns + "\n|" + "-|" * columns + "\n"
    return head + ((row if row is not None else "|" + "1|" * columns) + "\n") * rows


def _nested(kinds: tuple[str, ...]) -> str:
    """Block quotes (q), bullet lists (l) and ordered lists (o) nested in this order, with a
    paragraph and a table at the bottom and a paragraph after all of them."""
    prefix, lines = "", []
    for n, kind in enumerate(kinds):
        marker, indent = {"q": ("> ", "> "), "l": ("- ", "  "), "o": ("1. ", "   ")}[kind]
        lines.append(f"{prefix}{marker}第{n}层")
        prefix += indent
    lines += [prefix, prefix + "最深处的文字。", prefix, prefix + "|甲|乙|", prefix + "|-|-|",
              prefix + "|格一|格二|"]
    return "\n".join(lines) + "\n\n末尾段落。\n"


def test_the_wide_table_of_issue_10_is_refused_quickly() -> None:
    # 20,000 columns took 40 s to render and made a feed entry lxml refused.
    body = "各单位：\n\n" + _table(20_000, 1)
    start = time.perf_counter()
    problem = body_problem(body)
    assert problem is not None and f"超过 {MAX_TABLE_COLUMNS} 列" in problem
    assert "第 3 行" in problem
    with pytest.raises(InputError) as info:
        render_markdown(body)
    assert info.value.field == "body" and "正文" in str(info.value)
    assert time.perf_counter() - start < 10


def test_table_at_the_column_bound_renders() -> None:
    body = _table(MAX_TABLE_COLUMNS, 3)
    assert body_problem(body) is None
    assert render_markdown(body).html.count("<th>") == MAX_TABLE_COLUMNS


def test_cells_are_counted_with_the_padding_of_short_rows() -> None:
    # A row of "|" is padded to the header's width: 3 bytes of input ask for 100 cells.
    rows = MAX_TABLE_CELLS // MAX_TABLE_COLUMNS
    assert body_problem(_table(MAX_TABLE_COLUMNS, rows - 1, row="|")) is None
    problem = body_problem(_table(MAX_TABLE_COLUMNS, rows, row="|"))
    assert problem is not None and f"超过 {MAX_TABLE_CELLS} 个单元格" in problem


def test_cells_of_all_tables_count_together() -> None:
    half = _table(50, MAX_TABLE_CELLS // 100)  # 50 header cells + rows × 50: just over half
    assert body_problem(half) is None
    assert body_problem(half + "\n正文。\n\n" + half) is not None


def test_body_length_bound() -> None:
    assert body_problem("正" * MAX_BODY_CHARS) is None
    problem = body_problem("正" * (MAX_BODY_CHARS + 1))
    assert problem is not None and f"最多 {MAX_BODY_CHARS} 字" in problem and "附件" in problem


def test_render_refuses_a_body_far_past_the_length_bound_without_parsing_it() -> None:
    with pytest.raises(InputError):
        render_markdown("[" * (2 * MAX_BODY_CHARS + 1))


@pytest.mark.parametrize("depth", range(1, MAX_BODY_DEPTH + 1))
def test_nesting_within_the_bound_keeps_every_word(depth: int) -> None:
    # markdown-it drops what lies past 20 levels without a word; every mix of quotes and lists
    # up to the bound must come through whole (a list costs two levels).
    mixes = itertools.product("qlo", repeat=depth) if depth <= 6 else [
        ("l",) * depth, ("o",) * depth, ("q",) * depth, (("q", "l") * depth)[:depth],
    ]
    for kinds in mixes:
        body = _nested(kinds)
        assert body_problem(body) is None, kinds
        text = render_markdown(body).text
        assert "最深处的文字" in text and "格二" in text and "末尾段落" in text, kinds


@pytest.mark.parametrize("kinds", [
    ("l",) * (MAX_BODY_DEPTH + 1), ("q",) * (MAX_BODY_DEPTH + 1), ("q",) * 25, ("o",) * 12,
    ("q", "l") * 5,
])
def test_nesting_past_the_bound_is_refused_not_cut(kinds: tuple[str, ...]) -> None:
    problem = body_problem(_nested(kinds))
    assert problem is not None and f"超过 {MAX_BODY_DEPTH} 层" in problem


def test_deep_quote_that_markdown_it_would_cut_is_refused() -> None:
    body = "> " * 25 + "深处的文字\n\n后面的段落。"
    assert "深处的文字" not in _md_text_without_bounds(body)  # what silently happened before
    assert body_problem(body) is not None


def _md_text_without_bounds(body: str) -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return md.render(body)


def test_a_body_at_every_bound_renders_to_html_lxml_reads() -> None:
    # The largest body the bounds allow still makes an entry an XML parser takes without
    # huge_tree (10 MB per text node), as feeds carry the HTML as text.
    rows = MAX_TABLE_CELLS // MAX_TABLE_COLUMNS - 1
    table = _table(MAX_TABLE_COLUMNS, rows, row="|" + "１２３４５６７８９|" * MAX_TABLE_COLUMNS)
    body = table[: MAX_BODY_CHARS]
    body = body[: body.rfind("\n") + 1]
    assert body_problem(body) is None
    html = render_markdown(body).html
    element = etree.Element("content")
    element.text = html
    assert etree.fromstring(etree.tostring(element)).text == html  # no huge_tree needed
