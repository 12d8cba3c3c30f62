"""Normalization (DESIGN §3): one item file → one immutable normalized item."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from heze_hub.errors import InputError
from heze_hub.items.load import load_item
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import TZ, PreparedItem, content_hash, normalize
from tests.items.item_files import FRONT
from tests.support import EXAMPLES

BODY = "各县区安监局：\n\n为切实做好安全生产工作，现将大检查有关事项通知如下。\n\n一、检查范围……\n"


def write_md(
    folder: Path, front: dict[str, str], body: str = BODY, name: str = "item.md"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    lines = [f"{k} = {v}" for k, v in front.items()]
    path.write_text("+++\n" + "\n".join(lines) + "\n+++\n" + body, encoding="utf-8")
    return path


def prepare(path: Path) -> PreparedItem:
    return normalize(load_item(path))


def refused(path: Path, field: str) -> InputError:
    with pytest.raises(InputError) as info:
        prepare(path)
    err = info.value
    assert str(path.resolve()) in str(err) or str(path) in str(err)
    assert field in str(err)
    assert err.field is not None and err.field.split(".")[0] == field
    return err


def example(name: str) -> Path:
    path = EXAMPLES / name
    if not path.exists():
        raise FileNotFoundError(path)  # the examples ship with the repository
    return path


def public_texts(c: dict) -> list[str]:
    return [c["title"], c["summary"], c["body_html"], c["body_text"]]


# --- every example ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*")), ids=lambda p: p.name)
def test_every_example_normalizes_and_builds(path: Path) -> None:
    prepared = prepare(path)
    assert len(prepared.content_sha256) == 64
    assert 0 < len(prepared.content["summary"]) <= 100
    item = prepared.build("371700/2018-00001", 1, datetime(2018, 10, 1, 9, 0, tzinfo=TZ))
    assert isinstance(item, NormalizedItem)
    assert item.content_sha256 == prepared.content_sha256
    assert item.source == str(path.resolve())
    # The stored JSON round-trips to the same object (the store relies on it).
    assert NormalizedItem.model_validate_json(item.model_dump_json()) == item


# --- document numbers ---------------------------------------------------------------------------
def test_doc_number_square_brackets() -> None:
    c = prepare(example("01-poverty-fund-announcement.md")).content
    assert c["doc_number"] == "菏扶贫办字〔2018〕9号"


def test_doc_number_with_spaces() -> None:
    c = prepare(example("02-rural-revitalization-policy.md")).content
    assert c["doc_number"] == "菏政发〔2018〕15号"


def test_unreadable_doc_number_refused(tmp_path: Path) -> None:
    refused(write_md(tmp_path, {**FRONT, "doc_number": '"第十五号"'}), "doc_number")


# --- interpretations ----------------------------------------------------------------------------
def test_interpretation_reference_canonical() -> None:
    c = prepare(example("03-rural-revitalization-interpretation.md")).content
    assert c["kind"] == "interpretation"
    assert c["interprets"] == "菏政发〔2018〕15号"


def test_interpretation_reference_broken_form_canonicalized(tmp_path: Path) -> None:
    front = {**FRONT, "kind": '"interpretation"', "interprets": '"菏政发 [2018] 15号"'}
    assert prepare(write_md(tmp_path, front)).content["interprets"] == "菏政发〔2018〕15号"


def test_interpretation_by_index_no(tmp_path: Path) -> None:
    front = {**FRONT, "kind": '"interpretation"', "interprets": '"371700/2018-00015"'}
    assert prepare(write_md(tmp_path, front)).content["interprets"] == "371700/2018-00015"


def test_interpretation_without_interprets_refused(tmp_path: Path) -> None:
    err = refused(write_md(tmp_path, {**FRONT, "kind": '"interpretation"'}), "interprets")
    assert "政策解读" in str(err)


def test_interprets_on_a_non_interpretation_refused(tmp_path: Path) -> None:
    front = {**FRONT, "interprets": '"菏政发〔2018〕15号"'}
    err = refused(write_md(tmp_path, front), "interprets")
    assert "interpretation" in str(err)


def test_interprets_unreadable_refused(tmp_path: Path) -> None:
    front = {**FRONT, "kind": '"interpretation"', "interprets": '"乡村振兴规划"'}
    refused(write_md(tmp_path, front), "interprets")


# --- disclosure ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("disclosure", "label"), [("on_request", "依申请公开"),
                                                   ("withheld", "不予公开")])
def test_non_proactive_refused(tmp_path: Path, disclosure: str, label: str) -> None:
    err = refused(write_md(tmp_path, {**FRONT, "disclosure": f'"{disclosure}"'}), "disclosure")
    assert label in str(err)


# --- personal data ------------------------------------------------------------------------------
def test_dibao_list_masked() -> None:
    c = prepare(example("08-dibao-list.md")).content
    for text in (c["body_html"], c["body_text"]):
        assert "371702198005123010" not in text
        assert "13805301234" not in text
        assert "371702********3010" in text
        assert "138****1234" in text
        assert "0530-5319876" in text  # an office line is not personal data
        assert "刘某" in text  # names in a 低保 list are what the list publishes


def test_proposal_reply_redacted() -> None:
    c = prepare(example("07-proposal-reply.md")).content
    for text in public_texts(c):
        assert "张某某" not in text
        assert "抄送" not in text
        assert "人事代表工作室" not in text
    assert "您提出的《关于加强农村饮水安全工程管护的建议》收悉" in c["body_text"]
    assert "感谢您对全市水利工作的关心和支持" in c["body_text"]


def test_redact_applies_to_title_and_summary(tmp_path: Path) -> None:
    front = {
        **FRONT,
        "title": '"关于王小明同志问题的答复"',
        "summary": '"答复王小明反映的安全生产问题，说明检查结果和整改措施。"',
        "redact": '["王小明"]',
    }
    c = prepare(write_md(tmp_path, front, body="王小明：\n\n您反映的问题已核实。\n")).content
    for text in public_texts(c):
        assert "王小明" not in text


def test_mobile_in_summary_masked(tmp_path: Path) -> None:
    front = {**FRONT, "summary": '"安全生产大检查的范围和时间，咨询电话13805301234。"'}
    c = prepare(write_md(tmp_path, front)).content
    assert "13805301234" not in c["summary"] and "138****1234" in c["summary"]


# --- summaries ----------------------------------------------------------------------------------
def test_summary_derived_when_absent(tmp_path: Path) -> None:
    c = prepare(write_md(tmp_path, FRONT)).content
    # The addressee line is skipped; whole sentences follow.
    assert c["summary"].startswith("为切实做好安全生产工作，现将大检查有关事项通知如下。")
    assert "安监局" not in c["summary"]


def test_derived_summary_at_most_100_chars(tmp_path: Path) -> None:
    body = "安全生产" * 80 + "。\n"
    summary = prepare(write_md(tmp_path, FRONT, body=body)).content["summary"]
    assert 0 < len(summary) <= 100


def test_summary_given_is_kept_after_cleanup(tmp_path: Path) -> None:
    front = {**FRONT, "summary": '"  部署全市安全生产大检查,明确检查范围和时间。 "'}
    c = prepare(write_md(tmp_path, front)).content
    assert c["summary"] == "部署全市安全生产大检查，明确检查范围和时间。"


def test_summary_equal_to_title_refused(tmp_path: Path) -> None:
    front = {**FRONT, "summary": FRONT["title"]}
    err = refused(write_md(tmp_path, front), "summary")
    assert "标题" in str(err)


def test_summary_over_100_chars_refused(tmp_path: Path) -> None:
    front = {**FRONT, "summary": '"' + "部署安全生产大检查，" * 11 + '"'}
    refused(write_md(tmp_path, front), "summary")


def test_no_derivable_summary_asks_for_one(tmp_path: Path) -> None:
    body = "## 一、检查范围\n\n| 县区 | 企业数 |\n|---|---|\n| 曹县 | 12 |\n"
    refused(write_md(tmp_path, FRONT, body=body), "summary")


# --- body rendering -----------------------------------------------------------------------------
def test_body_sanitized(tmp_path: Path) -> None:
    body = (
        "现将有关事项通知如下。\n\n<script>alert(1)</script>\n\n"
        '[链接](javascript:alert(1)) <img src="x" onerror="alert(1)">\n'
    )
    html = prepare(write_md(tmp_path, FRONT, body=body)).content["body_html"]
    # Raw HTML is shown as text at most, never as markup.
    assert "<script" not in html and "<img" not in html
    assert "href=" not in html
    assert "现将有关事项通知如下" in html


def test_title_cleaned(tmp_path: Path) -> None:
    front = {**FRONT, "title": '"关于开展 2018年度 安全生产大检查的通知\u200b"'}
    assert prepare(write_md(tmp_path, front)).content["title"] == (
        "关于开展2018年度安全生产大检查的通知"
    )


def test_duplicate_topics_collapsed(tmp_path: Path) -> None:
    front = {**FRONT, "topics": '["安全生产", "安全生产", "教育"]'}
    assert prepare(write_md(tmp_path, front)).content["topics"] == ("安全生产", "教育")


# --- credit records -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["05-penalty-environment.json", "06-license-construction.md"])
def test_credit_record_full_and_public(name: str) -> None:
    c = prepare(example(name)).content
    credit, public = c["credit"], c["credit_public"]
    assert credit is not None and public is not None
    assert credit["type"] == c["kind"]
    # An organisation's record has nothing personal: the public form is the full one.
    assert public == credit
    # Example 05 still writes the first edition's name, example 06 the second edition's.
    party_uscc = credit.get("统一社会信用代码") or credit["行政相对人代码_1"]
    assert party_uscc in ("91371700MA3C4K2P7T", "91371702MA3F8R6Q48")


def test_natural_person_credit_record_masked_in_public_only(tmp_path: Path) -> None:
    data = json.loads(example("05-penalty-environment.json").read_text(encoding="utf-8"))
    record = data["credit"]
    for key in ("统一社会信用代码", "法定代表人"):
        record.pop(key)
    record.update(
        {
            "行政相对人名称": "刘某",
            "行政相对人类别": "自然人",
            "证件类型": "身份证",
            "证件号码": "371702198005123010",
            "违法事实": "2018年7月10日检查发现露天焚烧，当事人电话13805301234。",
        }
    )
    path = tmp_path / "person.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    c = prepare(path).content
    assert c["credit"]["证件号码"] == "371702198005123010"
    assert "13805301234" in c["credit"]["违法事实"]
    assert c["credit_public"]["证件号码"] == "371702********3010"
    assert "13805301234" not in c["credit_public"]["违法事实"]
    assert "138****1234" in c["credit_public"]["违法事实"]
    # The full record never reaches a public rendering.
    public = NormalizedItem(
        index_no="371700/2018-00001", version=1, published_at=datetime(2018, 9, 1, tzinfo=TZ),
        content_sha256="0" * 64, **c,
    ).public_dict()
    assert "371702198005123010" not in json.dumps(public, ensure_ascii=False)


def test_credit_record_problem_names_file_and_field(tmp_path: Path) -> None:
    data = json.loads(example("05-penalty-environment.json").read_text(encoding="utf-8"))
    data["credit"]["统一社会信用代码"] = "91371700MA3C4K2P7U"  # wrong check character
    path = tmp_path / "bad-credit.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    err = refused(path, "credit")
    assert "统一社会信用代码" in str(err)


# --- attachments --------------------------------------------------------------------------------
def test_attachment_hashed(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "清单.pdf").write_bytes(b"%PDF-1.4 test")
    front = {**FRONT, "attachments": '[{path = "files/清单.pdf", title = "检查清单"}]'}
    (att,) = prepare(write_md(tmp_path, front)).content["attachments"]
    assert att.title == "检查清单" and att.name == "清单.pdf" and att.size == 13
    assert att.sha256 == hashlib.sha256(b"%PDF-1.4 test").hexdigest()
    assert att.source == str((tmp_path / "files" / "清单.pdf").resolve())


def test_missing_attachment_refused(tmp_path: Path) -> None:
    front = {**FRONT, "attachments": '[{path = "files/没有.pdf", title = "检查清单"}]'}
    err = refused(write_md(tmp_path, front), "attachments")
    assert "files/没有.pdf" in str(err)


def test_attachment_that_is_a_directory_refused(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    front = {**FRONT, "attachments": '[{path = "files", title = "检查清单"}]'}
    refused(write_md(tmp_path, front), "attachments")


def test_absolute_attachment_path_refused(tmp_path: Path) -> None:
    # DESIGN §2: attachment paths are relative to the item file. An absolute path would let an
    # item file publish any file the hub can read (its signing key, /etc/passwd) to the portal.
    secret = tmp_path / "state" / "keys" / "hub.key"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"PRIVATE KEY")
    front = {**FRONT, "attachments": f'[{{path = "{secret}", title = "附件"}}]'}
    refused(write_md(tmp_path / "items", front), "attachments")


# --- content hash -------------------------------------------------------------------------------
def test_hash_stable_across_loads() -> None:
    path = example("01-poverty-fund-announcement.md")
    assert prepare(path).content_sha256 == prepare(path).content_sha256


def test_hash_stable_when_the_file_moves(tmp_path: Path) -> None:
    front = {**FRONT, "attachments": '[{path = "a.pdf", title = "检查清单"}]'}
    first = write_md(tmp_path / "one", front)
    (tmp_path / "one" / "a.pdf").write_bytes(b"attachment")
    second_dir = tmp_path / "elsewhere" / "deeper"
    second_dir.mkdir(parents=True)
    shutil.copy(first, second_dir / "renamed.md")
    shutil.copy(tmp_path / "one" / "a.pdf", second_dir / "a.pdf")
    a, b = prepare(first), prepare(second_dir / "renamed.md")
    assert a.source != b.source
    assert a.content_sha256 == b.content_sha256


def test_hash_of_an_example_is_independent_of_its_folder(tmp_path: Path) -> None:
    src = example("05-penalty-environment.json")
    copy = tmp_path / "x" / src.name
    copy.parent.mkdir()
    shutil.copy(src, copy)
    assert prepare(src).content_sha256 == prepare(copy).content_sha256


def test_changed_body_changes_hash(tmp_path: Path) -> None:
    a = prepare(write_md(tmp_path / "a", FRONT))
    b = prepare(write_md(tmp_path / "b", FRONT, body=BODY + "\n二、检查时间……\n"))
    assert a.identity == b.identity
    assert a.content_sha256 != b.content_sha256


def test_changed_attachment_changes_hash(tmp_path: Path) -> None:
    front = {**FRONT, "attachments": '[{path = "a.pdf", title = "检查清单"}]'}
    path = write_md(tmp_path, front)
    (tmp_path / "a.pdf").write_bytes(b"one")
    first = prepare(path).content_sha256
    (tmp_path / "a.pdf").write_bytes(b"two")
    assert prepare(path).content_sha256 != first


def test_channels_and_index_no_are_not_content(tmp_path: Path) -> None:
    a = prepare(write_md(tmp_path / "a", FRONT))
    b = prepare(write_md(tmp_path / "b", {**FRONT, "channels": '["portal"]',
                                          "index_no": '"371700/2018-00007"'}))
    assert a.content_sha256 == b.content_sha256


def test_content_hash_matches_the_built_item(tmp_path: Path) -> None:
    prepared = prepare(write_md(tmp_path, FRONT))
    assert content_hash(prepared.content) == prepared.content_sha256
    one = prepared.build("371700/2018-00001", 1, datetime(2018, 6, 2, tzinfo=TZ))
    two = prepared.build("371700/2018-00099", 3, datetime(2019, 1, 1, tzinfo=TZ))
    assert one.content_sha256 == two.content_sha256 == prepared.content_sha256


# --- identity -----------------------------------------------------------------------------------
def test_identity_by_index_no_first(tmp_path: Path) -> None:
    front = {**FRONT, "doc_number": '"菏安监发〔2018〕5号"', "index_no": '"371700/2018-00007"'}
    prepared = prepare(write_md(tmp_path, front))
    assert prepared.identity == "index_no:371700/2018-00007"
    assert prepared.explicit_index_no == "371700/2018-00007"


def test_identity_by_department_and_doc_number(tmp_path: Path) -> None:
    a = prepare(write_md(tmp_path / "a", {**FRONT, "doc_number": '"菏安监发[2018]5号"'}))
    # Same document number in another spelling, another title and date: the same item.
    b = prepare(write_md(tmp_path / "b", {**FRONT, "doc_number": '"菏安监发 2018 5 号"',
                                          "title": '"关于开展安全生产大检查的通知（修订）"',
                                          "written_on": "2018-06-03"}))
    assert a.identity == b.identity == "doc:菏泽市安全生产监督管理局|菏安监发〔2018〕5号"
    assert a.explicit_index_no is None
    other_dept = prepare(write_md(tmp_path / "c", {**FRONT, "doc_number": '"菏安监发[2018]5号"',
                                                   "department": '"菏泽市应急管理局"'}))
    assert other_dept.identity != a.identity


def test_identity_by_department_title_and_date(tmp_path: Path) -> None:
    a = prepare(write_md(tmp_path / "a", FRONT))
    assert a.identity == (
        "title:菏泽市安全生产监督管理局|关于开展2018年度安全生产大检查的通知|2018-06-01"
    )
    b = prepare(write_md(tmp_path / "b", {**FRONT, "written_on": "2018-06-02"}))
    assert a.identity != b.identity


# --- dates --------------------------------------------------------------------------------------
def test_naive_decided_at_is_beijing_time(tmp_path: Path) -> None:
    front = {**FRONT, "kind": '"recall"', "decided_at": "2018-07-12T16:30:00"}
    decided = prepare(write_md(tmp_path, front)).content["decided_at"]
    assert decided == datetime(2018, 7, 12, 16, 30, tzinfo=TZ)
    assert decided.utcoffset() == timedelta(hours=8)


def test_aware_decided_at_converted_to_beijing(tmp_path: Path) -> None:
    front = {**FRONT, "kind": '"recall"', "decided_at": "2018-07-12T08:30:00Z"}
    decided = prepare(write_md(tmp_path, front)).content["decided_at"]
    assert decided.utcoffset() == timedelta(hours=8)
    assert (decided.hour, decided.minute) == (16, 30)


def test_decided_at_example() -> None:
    decided = prepare(example("04-food-recall.md")).content["decided_at"]
    assert decided == datetime(2018, 7, 12, 16, 30, tzinfo=TZ)
    assert decided.utcoffset() == timedelta(hours=8)


def test_same_instant_same_hash(tmp_path: Path) -> None:
    a = prepare(write_md(tmp_path / "a", {**FRONT, "decided_at": "2018-07-12T16:30:00"}))
    b = prepare(write_md(tmp_path / "b", {**FRONT, "decided_at": "2018-07-12T08:30:00Z"}))
    assert a.content_sha256 == b.content_sha256


def test_credit_record_enters_the_content_hash_only_keyed(tmp_path: Path) -> None:
    # The hash is public (receipts, portal JSON); a masked ID number has few possible values, so
    # the full record must not be recoverable by hashing guesses without the hub's secret.
    from heze_hub.items.load import load_item
    from heze_hub.items.normalize import normalize

    penalty = load_item(EXAMPLES / "05-penalty-environment.json")
    notice = load_item(EXAMPLES / "09-air-quality-monthly.md")
    assert normalize(penalty, secret=b"a" * 32).content_sha256 != normalize(
        penalty, secret=b"b" * 32).content_sha256
    assert normalize(notice, secret=b"a" * 32).content_sha256 == normalize(
        notice, secret=b"b" * 32).content_sha256


def test_personal_data_is_masked_in_every_public_field(tmp_path: Path) -> None:
    (tmp_path / "名单13805301234.pdf").write_bytes(b"%PDF-1.4\n")
    front = {
        **FRONT,
        "department": '"菏泽市民政局（联系人：王某 138 0530 1234）"',
        "topics": '["社会救助", "回访１３９１２３４５６７８"]',
        "attachments": '[{ title = "名单（身份证371702198005123010）", '
                       'path = "名单13805301234.pdf" }]',
    }
    c = prepare(write_md(tmp_path, front)).content
    assert c["department"] == "菏泽市民政局（联系人：王某138****1234）"
    assert c["topics"] == ("社会救助", "回访139****5678")
    (attachment,) = c["attachments"]
    assert attachment.title == "名单（身份证371702********3010）"
    assert attachment.name == "名单138****1234.pdf"
