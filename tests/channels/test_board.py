"""Bulletin-board notices (DESIGN §5.6), checked the way a person would: each PDF rendered to PNG
(pdftoppm) and read back (pdftotext), the CJK text and the masked numbers on the page; then end
to end through ``hub publish``, ``hub board confirm`` and ``hub audit``."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from heze_hub.delivery.channel import DeliveryContext, HubInfo
from heze_hub.delivery.http import HttpClient
from heze_hub.items.model import NormalizedItem
from heze_hub_plugins.board import BoardChannel, BoardSettings, posting_period
from tests.channels.support import PUBLIC_URL, TZ
from tests.support import HubRun, write_item

INDEX_NO = "371700/2018-00008"
BOARDS = ["牡丹区滨河街道孙庄村", "牡丹区滨河街道办事处"]

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="poppler-utils (pdftoppm, pdftotext) not installed; .ci/run installs them",
)


def make_item(**changes: Any) -> NormalizedItem:
    fields: dict[str, Any] = {
        "index_no": INDEX_NO, "version": 1,
        "published_at": datetime(2018, 6, 4, 10, 0, tzinfo=TZ), "content_sha256": "1" * 64,
        "title": "孙庄村2018年第二季度农村低保对象公示",
        "department": "菏泽市牡丹区滨河街道办事处", "written_on": date(2018, 6, 1),
        "kind": "announcement", "category": "result", "topics": ("社会救助",),
        "posting_days": 10, "summary": "公示孙庄村2018年第二季度农村低保对象。",
        "body_html": "<p>公示</p>",
        # As normalization leaves it: the numbers already masked.
        "body_text": "经村民代表会议评议，下列家庭拟纳入农村低保：\n"
                     "张某某，身份证号 371702********3010，联系电话 138****5678。\n"
                     "公示期内如有异议，请向街道办事处反映。",
    }
    fields.update(changes)
    return NormalizedItem(**fields)


def make_ctx() -> DeliveryContext:
    state: dict[str, Any] = {}
    return DeliveryContext(idempotency_key=f"{INDEX_NO}:1:board", attempt=1, state=state,
                           save_state=state.update, http=HttpClient())


@pytest.fixture
def channel(tmp_path: Path) -> BoardChannel:
    hub = HubInfo(public_url=PUBLIC_URL, state_dir=tmp_path / "state", config_dir=tmp_path,
                  org_code="371700")
    settings = BoardSettings(boards=BOARDS, supervision_phone="0530-5310000",
                             output_dir="boards")
    return BoardChannel("board", settings, hub)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def render_png(path: Path, out: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(out)], check=True)
    return sorted(out.parent.glob(out.name + "*.png"))


@needs_poppler
def test_one_pdf_per_board_readable_as_a_person_reads_it(channel, tmp_path):
    ctx = make_ctx()
    result = channel.publish(make_item(), ctx)
    files = sorted((tmp_path / "boards" / INDEX_NO.replace("/", "_")).glob("*.pdf"))
    assert [f.stem for f in files] == sorted(BOARDS)
    assert ctx.state == {"boards": BOARDS} and "2 份" in (result.note or "")
    for path, board in zip(files, sorted(BOARDS), strict=True):
        pages = render_png(path, tmp_path / f"page-{board}")
        assert pages, path
        with Image.open(pages[0]) as image:
            assert image.size[0] < image.size[1]  # A4 portrait
            grey = image.convert("L")
            dark = sum(grey.histogram()[:128])
            assert dark > 2000  # text and the QR code are really drawn, not a blank page
        text = "".join(pdf_text(path).split())  # pdftotext breaks lines where the PDF does
        for needle in ("孙庄村2018年第二季度农村低保对象公示", "菏泽市牡丹区滨河街道办事处",
                       "公示期：2018年6月4日至2018年6月14日（10天）", f"张贴地点：{board}",
                       "监督电话：0530-5310000", "371702********3010", "138****5678",
                       f"{PUBLIC_URL}/xxgk/{INDEX_NO}.html", f"索引号：{INDEX_NO}"):
            assert needle in text, (needle, text)
        assert "13812345678" not in text
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                               check=True).stdout
        cjk = [line for line in fonts.splitlines() if "CJK" in line]
        assert cjk and all(" yes yes yes " in f" {' '.join(line.split())} " for line in cjk), fonts


def test_same_item_same_bytes_and_payload_hash(channel, tmp_path):
    first, second = make_ctx(), make_ctx()
    channel.publish(make_item(), first)
    folder = tmp_path / "boards" / INDEX_NO.replace("/", "_")
    before = {p.name: p.read_bytes() for p in folder.glob("*.pdf")}
    channel.publish(make_item(), second)
    assert {p.name: p.read_bytes() for p in folder.glob("*.pdf")} == before
    digest = hashlib.sha256()
    for board in BOARDS:
        digest.update(hashlib.sha256(before[f"{board}.pdf"]).digest())
    assert first.payload_sha256 == second.payload_sha256 == digest.hexdigest()


@needs_poppler
def test_long_body_breaks_onto_more_pages(channel, tmp_path):
    body = "\n".join(f"{i}. 某某户，家庭人口3人，月保障金额 1200 元。" for i in range(200))
    channel.publish(make_item(body_text=body), make_ctx())
    path = next((tmp_path / "boards").rglob("*.pdf"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    assert pages >= 5
    text = "".join(pdf_text(path).split())
    assert "199.某某户" in text and "监督电话：0530-5310000" in text  # the footer box at the end


def test_posting_period_is_publication_day_plus_posting_days():
    start, end = posting_period(make_item(posting_days=7))
    assert (start, end) == (date(2018, 6, 4), date(2018, 6, 11))


def test_what_it_accepts_and_what_it_needs(channel):
    assert channel.accepts(make_item()) is None  # 社会救助 with posting_days
    plain = make_item(topics=("教育",), posting_days=None, kind="notice")
    assert channel.accepts(plain) is not None
    assert channel.accepts(plain.model_copy(update={"boards": ("孙庄村",)})) is None
    problems = channel.item_problems(make_item(posting_days=None))
    assert problems and problems[0].startswith("字段 posting_days")
    bare = BoardChannel("board", BoardSettings(supervision_phone="1"), channel.hub)
    assert any(p.startswith("字段 boards") for p in bare.item_problems(make_item()))
    assert bare.item_problems(make_item(boards=("孙庄村",))) == []


def test_configuration_problems(tmp_path):
    hub = HubInfo(public_url=PUBLIC_URL, state_dir=tmp_path, config_dir=tmp_path,
                  org_code="371700")
    missing = BoardChannel("board", BoardSettings(font=str(tmp_path / "none.ttf")), hub)
    problems = missing.configuration_problems()
    assert any("supervision_phone" in p for p in problems)
    assert any("fonts-noto-cjk" in p for p in problems)


# ---------------------------------------------------------------------------------------------
# End to end
# ---------------------------------------------------------------------------------------------
def today() -> date:
    return datetime.now(TZ).date()


@pytest.fixture
def run(tmp_path: Path) -> HubRun:
    (tmp_path / "channels.toml").write_text(
        '[hub]\nstate_dir = ".hub"\norg_code = "371700"\n'
        f'public_url = "{PUBLIC_URL}"\n\n'
        '[channels.board]\noutput_dir = "boards"\nsupervision_phone = "0530-5310000"\n'
        'boards = ["滨河街道办事处"]\n', encoding="utf-8")
    return HubRun(tmp_path)


def _notice(path: Path, **fields: Any) -> Path:
    base: dict[str, Any] = {
        "kind": "announcement", "category": "result", "topics": ["社会救助"],
        "written_on": today().isoformat(), "posting_days": 7,
        "boards": ["牡丹区滨河街道孙庄村"], "department": "菏泽市牡丹区滨河街道办事处",
    }
    base.update(fields)
    base = {k: v for k, v in base.items() if v is not None}
    return write_item(path, "孙庄村农村低保对象公示",
                      body="张三，联系电话 13812345678，拟纳入农村低保。", **base)


@needs_poppler
def test_e2e_publish_confirm_and_audit(run, tmp_path):
    [r] = run.json("publish", str(_notice(tmp_path / "n.md")))
    [d] = r["deliveries"]
    assert d["status"] == "published", d
    [pdf] = (tmp_path / "boards").rglob("*.pdf")
    text = "".join(pdf_text(pdf).split())
    assert "138****5678" in text and "13812345678" not in text  # masked as on the portal
    index_no = r["index_no"]

    def audit_findings() -> list[dict[str, Any]]:
        proc = run("audit", "--year", str(today().year), "--json")
        return [f for f in json.loads(proc.stdout) if f["rule"] == "board-posting"]

    [pending] = audit_findings()
    assert pending["status"] == "unknown" and "未登记张贴" in pending["detail"]

    # Bad input: exit 2, nothing recorded.
    bad = [
        ("--board", "不存在的公开栏", "--posted-on", today().isoformat()),
        ("--board", "牡丹区滨河街道孙庄村", "--posted-on",
         (today() - timedelta(days=1)).isoformat()),
        ("--board", "牡丹区滨河街道孙庄村", "--posted-on", "2018/06/05"),
    ]
    for args in bad:
        proc = run("board", "confirm", index_no, *args, check=2)
        assert proc.stderr.startswith("错误") and "--" in proc.stderr, proc.stderr
    proc = run("board", "confirm", "371700/2099-00001", "--board", "x", "--posted-on",
               today().isoformat(), check=2)
    assert "INDEX_NO" in proc.stderr
    assert run.json("receipts", "--status", "posted") == []

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 a photo of the board \xff\xd9")
    [receipt] = run.json("board", "confirm", index_no, "--board", "牡丹区滨河街道孙庄村",
                         "--posted-on", today().isoformat(), "--photo", str(photo))
    assert receipt["status"] == "posted" and receipt["board"] == "牡丹区滨河街道孙庄村"
    assert receipt["photo_sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    [listed] = run.json("receipts", "--status", "posted")
    assert listed["seq"] == receipt["seq"]
    [met] = audit_findings()
    assert met["status"] == "met", met
    # The confirmation is in the signed log: the bundle verifies.
    run("receipts", "export", str(tmp_path / "bundle"), check=0)
    assert "核验通过" in run("verify", str(tmp_path / "bundle"), check=0).stdout


def test_e2e_notice_without_posting_days_is_refused(run, tmp_path):
    proc = run("publish", str(_notice(tmp_path / "n.md", posting_days=None)), check=2)
    assert "posting_days" in proc.stderr and "n.md" in proc.stderr
    assert not (tmp_path / "boards").exists()
