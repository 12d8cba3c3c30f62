"""The web pages, part two (DESIGN §13): 我的信息 (state per channel, retry), 回执 (search, one
receipt with its inclusion proof, the bundle), 审计 and 年度报表."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from heze_hub.receipts.merkle import leaf_hash
from heze_hub.receipts.proofs import make_receipt_proof
from heze_hub.service.accounts import Account
from heze_hub.service.context import Service
from heze_hub.service.session import guard, read_form, render
from heze_hub.store.receipts import FINISHED, ReceiptFilter, list_receipts
from heze_hub.store.schema import receipts as receipts_table

#: Rows shown on one page (the newest first); the API and the bundle have everything.
PAGE_ROWS = 500
STATE_LABELS = {
    "pending": "待发布", "publishing": "发布中", "published": "已发布", "failed": "失败",
    "unconfirmed": "待确认", "skipped": "不适用", "withdrawn": "已撤回",
}


def my_items(svc: Service, account: Account) -> list[dict[str, Any]]:
    """The latest version of each item the account may see, with its deliveries, newest first."""
    by_item: dict[str, dict[str, Any]] = {}
    for r in svc.hub.store.deliveries_with_items():
        data = json.loads(r["data"])
        if not account.may_act_for(data["department"]):
            continue
        entry = by_item.get(r["index_no"])
        if entry is None or entry["version"] < r["version"]:
            entry = by_item[r["index_no"]] = {
                "index_no": r["index_no"], "version": r["version"], "title": data["title"],
                "department": data["department"], "deliveries": []}
        if entry["version"] == r["version"]:
            entry["deliveries"].append(r)
    rows = sorted(by_item.values(), key=lambda e: e["index_no"], reverse=True)
    return rows[:PAGE_ROWS]


async def mine(request: Request) -> Response:
    """``GET /mine``: 我的信息."""
    svc, visitor, refusal = await guard(request, "status", "我的信息")
    if refusal:
        return refusal
    assert visitor is not None
    rows = await run_in_threadpool(my_items, svc, visitor.account)
    await run_in_threadpool(svc.log, visitor.account, "status", "我的信息", True)
    return render(request, "mine.html", visitor, items=rows, labels=STATE_LABELS,
                  queued=request.query_params.get("queued"))


async def retry(request: Request) -> Response:
    """``POST /retry`` (operators): resume an item's unfinished deliveries."""
    form = await read_form(request)
    index_no = str(form.get("index_no", ""))
    svc, visitor, refusal = await guard(request, "retry", index_no)
    if refusal:
        return refusal
    svc.worker.retry((index_no,))
    await run_in_threadpool(svc.log, visitor.account if visitor else None, "retry", index_no,
                            True)
    return RedirectResponse("/mine?queued=1", status_code=303)


async def receipts(request: Request) -> Response:
    """``GET /receipts``: search the receipt log."""
    q = request.query_params
    svc, visitor, refusal = await guard(request, "receipts", str(q) or None)
    if refusal:
        return refusal
    status = q.get("status") if q.get("status") in FINISHED else None
    try:
        since = date.fromisoformat(q["since"]) if q.get("since") else None
    except ValueError:
        since = None
    flt = ReceiptFilter(q.get("index_no") or None, q.get("channel") or None, status, since)
    rows = await run_in_threadpool(list_receipts, svc.hub.store, flt)
    await run_in_threadpool(svc.log, visitor.account if visitor else None, "receipts",
                            str(q) or None, True)
    return render(request, "receipts.html", visitor, rows=rows[-PAGE_ROWS:][::-1],
                  total=len(rows), query=q, statuses=FINISHED, labels=STATE_LABELS)


def receipt_with_proof(svc: Service, seq: int) -> dict[str, Any] | None:
    """One receipt, its canonical bytes and its inclusion proof in the latest checkpoint."""
    with svc.hub.store.read() as conn:
        row = conn.execute(select(receipts_table.c.data)
                           .where(receipts_table.c.seq == seq)).first()
    if row is None:
        return None
    raw = bytes(row[0])
    size, note = svc.hub.store.latest_signed()
    proof = None
    if 0 <= seq < size:
        hashes = [leaf_hash(line) for line in svc.hub.store.receipt_lines()]
        proof = make_receipt_proof(hashes, seq, size)
    return {"receipt": json.loads(raw), "canonical": raw.decode("utf-8"), "proof": proof,
            "checkpoint": note, "vkey": svc.hub.verifier_key()}


async def receipt(request: Request) -> Response:
    """``GET /receipts/{seq}``: one receipt with its inclusion proof."""
    seq = request.path_params["seq"]
    svc, visitor, refusal = await guard(request, "receipts", f"seq {seq}")
    if refusal:
        return refusal
    found = await run_in_threadpool(receipt_with_proof, svc, seq)
    await run_in_threadpool(svc.log, visitor.account if visitor else None, "receipts",
                            f"seq {seq}", True)
    if found is None:
        return render(request, "error.html", visitor, 404, message=f"没有序号为 {seq} 的回执。")
    return render(request, "receipt.html", visitor, seq=seq, labels=STATE_LABELS,
                  proof_json=json.dumps(found["proof"], ensure_ascii=False, indent=2)
                  if found["proof"] else None, **found)


async def bundle(request: Request) -> Response:
    """``GET /bundle``: the audit bundle as a zip download."""
    svc, visitor, refusal = await guard(request, "bundle")
    if refusal:
        return refusal
    data = await run_in_threadpool(svc.bundle_zip)
    await run_in_threadpool(svc.log, visitor.account if visitor else None, "bundle", None, True)
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="hub-bundle.zip"'})


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    return int(raw) if raw.isdigit() and 1949 <= int(raw) <= 2100 else datetime.now().year


async def audit(request: Request) -> Response:
    """``GET /audit?year=``: every rule of DESIGN §4, checked."""
    from heze_hub.rules import audit as auditing
    from heze_hub.rules.facts import STATUS_LABELS, TZ

    year = _year(request)
    svc, visitor, refusal = await guard(request, "audit", str(year))
    if refusal:
        return refusal
    plugins = {name: ch.plugin_name for name, ch in svc.hub.channels.items()}
    result = await run_in_threadpool(auditing.run_audit, svc.hub.store, year,
                                     datetime.now(TZ), plugins)
    await run_in_threadpool(svc.log, visitor.account if visitor else None, "audit", str(year),
                            True)
    findings = sorted(result.to_json(), key=lambda f: f["status"] != "broken")
    return render(request, "audit.html", visitor, year=year, findings=findings[:PAGE_ROWS],
                  total=len(findings), broken=len(result.broken), labels=STATUS_LABELS)


async def report(request: Request) -> Response:
    """``GET /report?year=``: 政府信息公开工作年度报告, 主动公开 part."""
    from heze_hub.rules import annual_report

    year = _year(request)
    svc, visitor, refusal = await guard(request, "report", str(year))
    if refusal:
        return refusal
    result = await run_in_threadpool(annual_report.annual_report, svc.hub.store, year)
    await run_in_threadpool(svc.log, visitor.account if visitor else None, "report", str(year),
                            True)
    return render(request, "report.html", visitor, year=year, cells=result.to_json(),
                  template=annual_report.TEMPLATE)


ROUTES = [
    Route("/mine", mine, methods=["GET"]),
    Route("/retry", retry, methods=["POST"]),
    Route("/receipts", receipts, methods=["GET"]),
    Route("/receipts/{seq:int}", receipt, methods=["GET"]),
    Route("/bundle", bundle, methods=["GET"]),
    Route("/audit", audit, methods=["GET"]),
    Route("/report", report, methods=["GET"]),
]
