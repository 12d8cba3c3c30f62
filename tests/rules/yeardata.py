"""A year (2018) of published items with known violations, written into a real store.

Rows go straight into the store's tables with chosen timestamps: an item version, a delivery per
channel and, for every finished delivery, a receipt whose ``finished_at`` is when it "happened".
Each violating item says which broken findings it must produce (``expect``), so a test can check
that every violation is found and nothing else is reported broken.

For the rules one by one there are hand-made facts too, no store: :func:`facts_item` builds an
item's facts, :func:`run` and :func:`statuses` check them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from heze_hub.items.model import NormalizedItem
from heze_hub.rules.facts import Facts, ItemFacts
from heze_hub.store.db import Store
from heze_hub.store.schema import board_postings, deliveries, items, versions
from heze_hub.store.writes import append_receipt

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2019, 3, 1, 12, 0, tzinfo=TZ)

#: One delivery: a publication time (published), or (status, time or None).
Delivery = str | tuple[str, str | None]


def at(text: str) -> datetime:
    """``2018-06-05`` (10:00) or ``2018-06-05T16:30`` in Beijing time."""
    value = datetime.fromisoformat(text if "T" in text else f"{text}T10:00")
    return value.replace(tzinfo=TZ)


@dataclass
class YearBuilder:
    """Writes items into ``store`` and remembers the broken findings they must cause."""

    store: Store
    serial: int = 0
    expected: set[tuple[str, str | None, str | None]] = field(default_factory=set)

    def item(
        self,
        title: str,
        written_on: str,
        *,
        publish: dict[str, Delivery] | None = None,
        expect: list[tuple[str, str | None]] = (),  # type: ignore[assignment]
        **fields: Any,
    ) -> NormalizedItem:
        """Store version 1 of an item; ``publish`` maps channel → delivery (default: portal
        and rss, the same day at 10:00)."""
        self.serial += 1
        written = date.fromisoformat(written_on)
        index_no = f"371700/{written.year}-{self.serial:05d}"
        item = make_item(index_no, 1, title, written, **fields)
        self.store.write(lambda conn: conn.execute(insert(items).values(
            index_no=index_no, identity=f"id:{index_no}", latest_version=1,
            created_at=item.published_at.isoformat())))
        self._version(item, publish if publish is not None else
                      {"portal": written_on, "rss": written_on})
        for rule, channel in expect:
            self.expected.add((rule, index_no, channel))
        return item

    def version(self, item: NormalizedItem, publish: dict[str, Delivery],
                **changes: Any) -> NormalizedItem:
        """Store the next version of ``item`` with ``changes``."""
        data = item.model_dump() | changes | {"version": item.version + 1}
        data["content_sha256"] = _sha(str(sorted(data.items())))
        new = NormalizedItem.model_validate(data)
        self.store.write(lambda conn: conn.execute(
            update(items).where(items.c.index_no == item.index_no)
            .values(latest_version=new.version)))
        self._version(new, publish)
        return new

    def _version(self, item: NormalizedItem, publish: dict[str, Delivery]) -> None:
        def op(conn: Any) -> None:
            conn.execute(insert(versions).values(
                index_no=item.index_no, version=item.version,
                content_sha256=item.content_sha256,
                published_at=item.published_at.isoformat(), data=item.model_dump_json()))
            for channel, spec in publish.items():
                status, when = ("published", spec) if isinstance(spec, str) else spec
                finished = at(when).isoformat() if when else None
                row = dict(
                    index_no=item.index_no, version=item.version, channel=channel,
                    idempotency_key=f"{item.index_no}:{item.version}:{channel}",
                    status=status, attempts=1, retryable=False, state="{}",
                    error="渠道拒绝" if status == "failed" else None,
                    started_at=finished, finished_at=finished,
                    updated_at=finished or item.published_at.isoformat(),
                )
                conn.execute(insert(deliveries).values(**row))
                if finished:
                    append_receipt(conn, {
                        "index_no": item.index_no, "version": item.version,
                        "channel": channel, "status": status,
                        "content_sha256": item.content_sha256, "payload_sha256": None,
                        "remote_id": None, "url": None, "attempts": 1,
                        "started_at": finished, "finished_at": finished,
                        "error": row["error"], "idempotency_key": row["idempotency_key"],
                        "note": None,
                    })

        self.store.write(op)

    def boards(self, item: NormalizedItem, channel: str, boards: list[str],
               posted: dict[str, str]) -> None:
        """The boards a notice went to (as the board channel records them) and the postings a
        person confirmed: board → posted_on."""
        def op(conn: Any) -> None:
            conn.execute(update(deliveries).where(
                deliveries.c.index_no == item.index_no, deliveries.c.channel == channel,
            ).values(state=json.dumps({"boards": boards}, ensure_ascii=False)))
            for seq, (board, day) in enumerate(posted.items(), start=10_000):
                conn.execute(insert(board_postings).values(
                    index_no=item.index_no, version=item.version, channel=channel, board=board,
                    posted_on=day, photo_sha256="a" * 64, receipt_seq=seq,
                    confirmed_at=at(day).isoformat()))

        self.store.write(op)

    def expect(self, rule: str, key: str, channel: str | None) -> None:
        self.expected.add((rule, key, channel))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_item(index_no: str, version: int, title: str, written_on: date,
              **fields: Any) -> NormalizedItem:
    """A normalized item with sensible defaults for every required field."""
    body = fields.pop("body_text", "正文。")
    data: dict[str, Any] = {
        "index_no": index_no, "version": version,
        "published_at": datetime.combine(written_on, datetime.min.time(), TZ),
        "content_sha256": _sha(index_no + title + str(version)),
        "title": title, "department": "菏泽市人民政府办公室", "written_on": written_on,
        "kind": "notice", "category": "execution", "summary": "内容概述。",
        "body_html": f"<p>{body}</p>", "body_text": body,
    }
    data.update(fields)
    return NormalizedItem.model_validate(data)


def broken_key(f: Any) -> tuple[str, str | None, str | None]:
    """How a broken finding is matched to an expectation: series by title, items by index_no."""
    if f.period:
        return (f.rule, f.title, f.period)
    return (f.rule, f.index_no, f.channel)


def penalty(number: str, decided: str) -> dict[str, Any]:
    return {
        "type": "penalty", "行政相对人名称": "菏泽某化工有限公司",
        "行政相对人类别": "法人及非法人组织", "统一社会信用代码": "91371700MA3C4K2P7T",
        "行政处罚决定书文号": number, "违法行为类型": "大气污染", "违法事实": "设施未运行",
        "处罚依据": "大气污染防治法", "处罚类别": "罚款", "处罚内容": "罚款二十万元",
        "罚款金额（万元）": 20, "处罚决定日期": decided, "处罚机关": "菏泽市环境保护局",
        "处罚机关统一社会信用代码": "11371700004234576M", "数据来源单位": "菏泽市环境保护局",
        "数据来源单位统一社会信用代码": "11371700004234576M",
    }


def license_(number: str, decided: str) -> dict[str, Any]:
    return {
        "type": "license", "行政相对人名称": "菏泽某建设有限公司",
        "行政相对人类别": "法人及非法人组织", "统一社会信用代码": "91371700MA3C4K2P7T",
        "行政许可决定文书名称": "建筑工程施工许可决定书", "行政许可决定文书号": number,
        "许可类别": "普通", "许可内容": "准予施工", "许可决定日期": decided,
        "有效期自": decided, "有效期至": "2099-12-31", "许可机关": "菏泽市住房和城乡建设局",
        "许可机关统一社会信用代码": "11371700004234576M", "当前状态": "有效",
        "数据来源单位": "菏泽市住房和城乡建设局",
        "数据来源单位统一社会信用代码": "11371700004234576M",
    }


# -- hand-made facts (no store) ------------------------------------------------------------------

_serial = iter(range(1, 100_000))


def facts_item(title: str = "通知", written_on: str = "2018-06-01", *,
               published: dict[str, str] | None = None,
               deliveries: dict[str, str] | None = None, **fields: Any) -> ItemFacts:
    """An item with first publications per channel; deliveries default to 'published' there."""
    written = date.fromisoformat(written_on)
    item = make_item(f"371700/{written.year}-{next(_serial):05d}", 1, title, written, **fields)
    published = published or {}
    states = {c: "published" for c in published} | (deliveries or {})
    return ItemFacts(
        item=item, versions={1: item},
        first_published={c: at(t) for c, t in published.items()},
        published_versions={1} if published else set(),
        deliveries={c: (1, s, None) for c, s in states.items()},
    )


def run(check: Any, *items: ItemFacts, year: int = 2018, now: datetime = NOW,
        plugins: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    facts = Facts(year=year, now=now, items=list(items), plugins=plugins or {})
    return [(f.status, f.channel) for f in check(facts)]


def statuses(check: Any, *items: ItemFacts, **kw: Any) -> list[str]:
    return [s for s, _ in run(check, *items, **kw)]


def build_2018(store: Store) -> YearBuilder:
    """The year: series, deadlines across 春节 and 国庆, interpretations, recalls, replies."""
    b = YearBuilder(store)
    env = "菏泽市环境保护局"

    # -- monthly series ---------------------------------------------------------------------
    for m in range(1, 13):
        if m == 8:
            continue  # August's air-quality bulletin is missing
        written = "2019-01-07" if m == 12 else f"2018-{m + 1:02d}-07"
        b.item(f"菏泽市2018年{m}月环境空气质量状况", written, department=env,
               kind="statistics", category="result", topics=("环境保护", "空气质量"))
    b.expect("monthly-series", "环境空气质量（2018年8月）", "2018-08")
    # A district's own bulletin does not fill the city's August.
    b.item("牡丹区2018年8月环境空气质量状况", "2018-09-07",
           department="菏泽市牡丹区环境保护局", kind="statistics", topics=("空气质量",))
    for m in range(1, 13):
        written = "2019-01-08" if m == 12 else f"2018-{m + 1:02d}-08"
        title = f"2018年{m}月菏泽市集中式生活饮用水水源水质状况"
        publish: dict[str, Delivery] = {"portal": written, "rss": written}
        if m == 3:
            # No month in the title: written_on's month counts (March).
            title, written = "菏泽市集中式生活饮用水水源水质监测信息", "2018-03-20"
            publish = {"portal": written}
        if m == 5:
            publish = {"portal": written, "wechat": ("failed", written)}
        it = b.item(title, written, department=env, kind="statistics", topics=("环境保护",),
                    publish=publish)
        if m == 5:
            b.expect("delivery", it.index_no, "wechat")
    for m in range(1, 13):
        written = "2019-01-10" if m == 12 else f"2018-{m + 1:02d}-10"
        span = "1月" if m == 1 else f"1—{m}月"
        b.item(f"2018年{span}全市财政收支情况", written, department="菏泽市财政局",
               kind="statistics", topics=("财政预决算",))
    # 市属企业经济效益: no item at all → one "未发现该系列", unknown.

    # -- quarterly series -------------------------------------------------------------------
    quarters = {1: "一", 2: "二", 3: "三", 4: "四"}
    for q, cn in quarters.items():
        written = "2019-01-09" if q == 4 else f"2018-{q * 3 + 1:02d}-09"
        b.item(f"曹县2018年第{cn}季度集中式饮用水水源水质状况", written,
               department="曹县环境保护局", kind="statistics")
        if q != 3:  # 牡丹区 misses the third quarter
            b.item(f"牡丹区2018年第{cn}季度集中式饮用水水源水质状况", written,
                   department="菏泽市牡丹区环境保护局", kind="statistics")
        b.item(f"2018年第{cn}季度菏泽市住房公积金运行情况",
               "2019-01-15" if q == 4 else f"2018-{q * 3 + 1:02d}-15",
               department="菏泽市住房公积金管理中心", kind="report")
    b.expect("quarterly-series", "牡丹区集中式饮用水水源水质（2018年第3季度）", "2018Q3")
    b.item("菏泽市住房公积金2017年年度报告", "2018-03-20",
           department="菏泽市住房公积金管理中心", kind="report")

    # -- proactive deadline across 春节 (deadline 2018-02-28 for 2018-01-26) -----------------
    b.item("菏泽市人民政府关于加强城市管理的通知", "2018-01-26", kind="policy",
           doc_number="菏政发〔2018〕3号", publish={"portal": "2018-02-28"})
    b.item("菏泽市城市绿化管理办法", "2018-01-26", kind="policy",
           doc_number="菏政令〔2018〕1号", publish={"portal": "2018-03-01", "rss": "2018-03-01"},
           expect=[("proactive-deadline", "portal")])

    # -- policy and interpretations across 国庆 ----------------------------------------------
    policy = b.item("菏泽市人民政府关于印发菏泽市乡村振兴战略规划的通知", "2018-09-28",
                    kind="policy", doc_number="菏政发〔2018〕15号",
                    publish={"portal": "2018-10-12", "rss": "2018-10-12", "wechat": "2018-10-12"})
    b.item("乡村振兴战略规划政策解读", "2018-09-30", kind="interpretation",
           interprets="菏政发〔2018〕15号", publish={"portal": "2018-10-15"})
    b.item("乡村振兴战略规划图解", "2018-10-08", kind="interpretation",
           interprets="菏政发〔2018〕15号", publish={"portal": "2018-10-25"},
           expect=[("interpretation-sync", None)])
    b.item("关于某规划的解读", "2018-10-08", kind="interpretation",
           interprets="菏政发〔2018〕99号", publish={"portal": "2018-10-10"},
           expect=[("interpretation-target", None)])
    b.item("乡村振兴战略规划一图读懂", "2018-10-10", kind="interpretation",
           interprets=policy.index_no, publish={"wechat": "2018-10-12"},
           expect=[("interpretation-links", "portal")])

    # -- 双公示 -------------------------------------------------------------------------------
    b.item("行政处罚决定书（菏环罚字〔2018〕27号）", "2018-09-28", kind="penalty",
           credit=penalty("菏环罚字〔2018〕27号", "2018-09-28"),
           publish={"credit": "2018-10-12T16:00", "portal": "2018-10-12"})
    b.item("行政处罚决定书（菏环罚字〔2018〕28号）", "2018-09-28", kind="penalty",
           credit=penalty("菏环罚字〔2018〕28号", "2018-09-28"),
           publish={"credit": "2018-10-15T09:00", "portal": "2018-10-12"},
           expect=[("credit-deadline", "credit")])
    b.item("建筑工程施工许可（春节前）", "2018-02-09", kind="license",
           credit=license_("菏建施许〔2018〕5号", "2018-02-09"),
           publish={"credit": "2018-02-24T09:00", "portal": "2018-02-24"})
    b.item("建筑工程施工许可（被拒）", "2018-12-20", kind="license",
           credit=license_("菏建施许〔2018〕99号", "2018-12-20"),
           publish={"credit": ("failed", "2018-12-20"), "portal": "2018-12-20"},
           expect=[("credit-deadline", "credit"), ("delivery", "credit")])
    b.item("建筑工程施工许可（2017年决定）", "2017-12-28", kind="license",
           credit=license_("菏建施许〔2017〕88号", "2017-12-28"),
           publish={"credit": "2018-01-03", "portal": "2018-01-03"})

    # -- recalls ------------------------------------------------------------------------------
    b.item("关于责令召回不合格速冻水饺的决定", "2018-07-12", kind="recall",
           decided_at=at("2018-07-12T16:30"), publish={"portal": "2018-07-13T10:00"})
    b.item("关于责令召回不合格食用油的决定", "2018-11-05", kind="recall",
           decided_at=at("2018-11-05T09:00"), publish={"portal": "2018-11-06T15:00"},
           expect=[("recall-24h", "portal")])
    b.item("关于责令召回某批次化妆品的决定", "2018-11-20", kind="recall",
           publish={"portal": "2018-11-20T15:00"})  # no decided_at: unknown
    b.item("关于责令召回某批次医疗器械的决定", "2018-12-03", kind="recall",
           decided_at=at("2018-12-03T10:00"), publish={"wechat": "2018-12-03T12:00"},
           expect=[("recall-24h", None)])

    # -- poverty-fund announcements -----------------------------------------------------------
    b.item("关于2018年度市级财政专项扶贫资金项目计划安排的公告", "2018-06-04",
           kind="announcement", topics=("精准扶贫",), posting_days=10)
    b.item("关于曹县扶贫车间项目的公示", "2018-06-11", kind="announcement",
           topics=("精准扶贫",), posting_days=7, expect=[("poverty-posting", None)])
    b.item("关于单县光伏扶贫项目的公示", "2018-06-12", kind="announcement",
           topics=("精准扶贫",), expect=[("poverty-posting", None)])
    b.item("牡丹区2018年7月城乡最低生活保障对象公示", "2018-07-05", kind="announcement",
           topics=("社会救助",))

    # -- school enrollment --------------------------------------------------------------------
    b.item("牡丹区2018年义务教育学校招生范围和招生办法", "2018-07-10",
           topics=("教育", "义务教育招生"), publish={"portal": "2018-07-12"})
    b.item("曹县2018年义务教育学校招生工作方案", "2018-07-25",
           topics=("教育", "义务教育招生"), publish={"portal": "2018-08-02"},
           expect=[("school-enrollment", "portal")])
    b.item("牡丹区2018年义务教育招生结果公告", "2018-09-10",
           topics=("教育", "义务教育招生"))

    # -- proposal replies ---------------------------------------------------------------------
    b.item("关于市十九届人大二次会议第0123号建议的答复", "2018-06-20", kind="proposal_reply",
           body_text="代表：\n您提出的建议收悉，现答复如下……\n菏泽市水利局")
    b.item("关于市政协十届二次会议第0456号提案的答复", "2018-06-22", kind="proposal_reply",
           body_text="李某委员：\n您提出的提案收悉……\n联系电话：0530-5310000\n抄送：市政府办公室",
           expect=[("proposal-reply", None)])

    # -- not proactive ------------------------------------------------------------------------
    b.item("某信访事项处理意见", "2018-05-10", disclosure="withheld",
           publish={"portal": "2018-05-11"}, expect=[("not-proactive", None)])
    b.item("某依申请公开答复", "2018-05-10", disclosure="on_request", publish={})

    # -- deliveries ---------------------------------------------------------------------------
    b.item("关于做好2018年防汛工作的通知", "2018-05-02",
           publish={"portal": "2018-05-03", "wechat": ("failed", "2018-05-03")},
           expect=[("delivery", "wechat")])
    b.item("关于做好2018年秋季防火工作的通知", "2018-10-09",
           publish={"portal": "2018-10-10", "weibo": ("unconfirmed", "2018-10-10")},
           expect=[("delivery", "weibo")])
    b.item("关于做好2018年冬季供暖工作的通知", "2018-11-09",
           publish={"portal": "2018-11-10", "weibo": ("pending", None)})  # unknown
    fixed = b.item("关于调整公交线路的通告", "2018-03-01",
                   publish={"portal": "2018-03-01", "wechat": ("failed", "2018-03-01")})
    b.version(fixed, {"portal": "2018-03-20", "wechat": "2018-03-20"},
              title="关于调整公交线路的通告（修订）")
    broke = b.item("关于调整出租车运价的通告", "2018-04-02",
                   publish={"portal": "2018-04-02", "wechat": "2018-04-02"})
    b.version(broke, {"portal": "2018-04-20", "wechat": ("failed", "2018-04-20")},
              summary="修订后的概述。")
    b.expected.add(("delivery", broke.index_no, "wechat"))

    # -- bulletin boards (DESIGN §5.6): due 3 working days after the notice ---------------------
    ok = b.item("孙庄村2018年第二季度低保对象公示", "2018-06-04", kind="announcement",
                topics=("社会救助",), posting_days=7,
                publish={"portal": "2018-06-04", "board": "2018-06-04"})
    b.boards(ok, "board", ["孙庄村", "滨河街道"],
             {"孙庄村": "2018-06-04", "滨河街道": "2018-06-05"})
    late = b.item("李庄村2018年扶贫资金项目公告", "2018-07-02", kind="announcement",
                  topics=("精准扶贫",), posting_days=10,
                  publish={"portal": "2018-07-02", "board": "2018-07-02"})
    b.boards(late, "board", ["李庄村"], {"李庄村": "2018-07-10"})  # late: up 2 days short
    b.expect("board-posting", late.index_no, "board")
    never = b.item("王庄村2018年危房改造对象公示", "2018-08-01", kind="announcement",
                   topics=("社会救助",), posting_days=7,
                   publish={"portal": "2018-08-01", "board": "2018-08-01"})
    b.boards(never, "board", ["王庄村"], {})  # never confirmed
    b.expect("board-posting", never.index_no, "board")

    # -- decision drafts for public comment (DESIGN §5.6) --------------------------------------
    parking = b.item("菏泽市城市停车管理办法（征求意见稿）", "2018-04-02", kind="draft",
                     category="decision", comment_until=date(2018, 5, 10),
                     comment_address="tingche@heze.gov.cn", publish={"portal": "2018-04-02"})
    # The decisions are "other" here, so that the annual report's policy counts stay as they are.
    b.item("菏泽市城市停车管理办法", "2018-06-01", kind="other", category="decision",
           major=True, draft_of=parking.index_no, publish={"portal": "2018-06-01"})
    b.item("《菏泽市城市停车管理办法（征求意见稿）》意见采纳情况", "2018-05-20",
           kind="comment_summary", draft_of=parking.index_no, publish={"portal": "2018-05-20"})
    dogs = b.item("菏泽市养犬管理规定（征求意见稿）", "2018-07-02", kind="draft",
                  category="decision", comment_until=date(2018, 7, 20),
                  comment_address="https://yj.heze.gov.cn", publish={"portal": "2018-07-02"},
                  expect=[("comment-period", None), ("comment-summary", None)])
    b.item("菏泽市养犬管理规定", "2018-07-16", kind="other", category="decision", major=True,
           draft_of=dogs.index_no, publish={"portal": "2018-07-16"},
           expect=[("major-draft", None)])  # before the comment period ended
    b.item("关于调整城市供水价格的决定", "2018-09-03", kind="other", category="decision",
           major=True, publish={"portal": "2018-09-03"}, expect=[("major-draft", None)])

    # -- another year: never reported in 2018 -------------------------------------------------
    b.item("关于做好2017年防汛工作的通知", "2017-05-02",
           publish={"portal": "2017-05-03", "wechat": ("failed", "2017-05-03")})
    return b


def store_at(path: Any) -> Store:
    store = Store(f"sqlite:///{path}")
    return store


def count_rows(store: Store) -> int:
    with store.read() as conn:
        return len(conn.execute(select(items.c.index_no)).all())
