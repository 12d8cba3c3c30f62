"""12345 hotline knowledge base against the sandbox over real HTTP (DESIGN §5.6), and end to end
through ``hub publish`` / ``hub retry``: a policy goes out with its interpretation merged in, a
later interpretation updates the policy's entry, an interpretation never goes alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from heze_hub.delivery.channel import DeliveryContext, HubInfo
from heze_hub.delivery.http import HttpClient
from heze_hub.errors import Deferred, PermanentError, TransientError
from heze_hub.items.model import NormalizedItem
from heze_hub.sandbox import Fault, Sandbox
from heze_hub.sandbox.hotline import ENTRY_FIELDS
from heze_hub_plugins.hotline import HotlineChannel, HotlineSettings
from tests.channels.support import PUBLIC_URL, TZ
from tests.support import HubRun, write_item

POLICY = "11371700MB28581232/2018-00002"
INTERP = "11371700MB28581232/2018-00003"


def make_item(index_no: str = POLICY, **changes: Any) -> NormalizedItem:
    fields: dict[str, Any] = {
        "index_no": index_no, "version": 1,
        "published_at": datetime(2018, 6, 5, 10, 0, tzinfo=TZ), "content_sha256": "1" * 64,
        "title": "菏泽市人民政府关于实施乡村振兴战略的意见", "department": "菏泽市人民政府",
        "written_on": date(2018, 6, 1), "kind": "policy", "category": "decision",
        "doc_number": "菏政发〔2018〕15号", "topics": ("乡村振兴",),
        "summary": "部署实施乡村振兴战略。", "body_html": "<p>正文。</p>",
        "body_text": "政策正文。",
    }
    fields.update(changes)
    return NormalizedItem(**fields)


def make_interp(**changes: Any) -> NormalizedItem:
    fields: dict[str, Any] = {
        "kind": "interpretation", "title": "《关于实施乡村振兴战略的意见》解读",
        "doc_number": None, "interprets": POLICY, "body_text": "解读正文。",
    }
    return make_item(INTERP, **{**fields, **changes})


class Known:
    """What the hub knows, as the channel asks for it through HubInfo."""

    def __init__(self) -> None:
        self.items: dict[str, NormalizedItem] = {}
        self.deliveries: dict[str, list[dict[str, Any]]] = {}

    def hub(self, tmp_path: Path) -> HubInfo:
        return HubInfo(
            public_url=PUBLIC_URL, state_dir=tmp_path, config_dir=tmp_path, org_code="371700",
            latest_item=self.items.get,
            latest_of_kind=lambda kind: [i for i in self.items.values() if i.kind == kind],
            channel_deliveries=lambda _c, index_no: self.deliveries.get(index_no, []),
        )


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.hotline.reset()
    return sandbox


@pytest.fixture
def known() -> Known:
    return Known()


@pytest.fixture
def channel(sb: Sandbox, known: Known, tmp_path: Path) -> HotlineChannel:
    settings = HotlineSettings(api_base=sb.url("hotline"), token=SecretStr(sb.hotline.token),
                               timeout=2.0)
    return HotlineChannel("hotline", settings, known.hub(tmp_path))


def ctx(index_no: str = POLICY) -> DeliveryContext:
    state: dict[str, Any] = {}
    return DeliveryContext(idempotency_key=f"{index_no}:1:hotline", attempt=1, state=state,
                           save_state=state.update, http=HttpClient())


def test_policy_alone_creates_one_entry_with_every_field(sb, channel, known):
    known.items[POLICY] = make_item()
    result = channel.publish(make_item(), ctx())
    [request] = sb.hotline.requests
    assert request.method == "POST" and request.status == 201
    assert request.headers["Authorization"] == f"Bearer {sb.hotline.token}"
    assert request.headers["Idempotency-Key"] == f"{POLICY}:1:hotline"
    assert set(request.json) == set(ENTRY_FIELDS)
    entry = sb.hotline.articles[result.remote_id]
    assert entry["external_id"] == POLICY and entry["effective"] is True
    assert entry["url"] == f"{PUBLIC_URL}/xxgk/{POLICY}.html"
    assert entry["interpretation"] is None and entry["keywords"] == ["乡村振兴"]


def test_policy_goes_out_with_its_interpretation_merged_in(sb, channel, known):
    known.items[POLICY] = make_item()
    known.items[INTERP] = make_interp()
    result = channel.publish(make_item(), ctx())
    interp = sb.hotline.articles[result.remote_id]["interpretation"]
    assert interp == {"index_no": INTERP, "title": "《关于实施乡村振兴战略的意见》解读",
                      "url": f"{PUBLIC_URL}/xxgk/{INTERP}.html", "body_text": "解读正文。"}


def test_interpretation_by_document_number_is_found(sb, channel, known):
    known.items[POLICY] = make_item()
    known.items[INTERP] = make_interp(interprets="菏政发〔2018〕15号")
    result = channel.publish(make_item(), ctx())
    assert sb.hotline.articles[result.remote_id]["interpretation"]["index_no"] == INTERP


def test_later_interpretation_updates_the_policys_entry(sb, channel, known):
    known.items[POLICY] = make_item()
    first = channel.publish(make_item(), ctx())
    known.deliveries[POLICY] = [{"version": 1, "status": "published",
                                 "remote_id": first.remote_id, "url": None}]
    known.items[INTERP] = make_interp()
    c = ctx(INTERP)
    result = channel.publish(make_interp(), c)
    assert result.remote_id == first.remote_id and "并入政策" in (result.note or "")
    assert [(r.method, r.path) for r in sb.hotline.requests] == [
        ("POST", "/api/kb/articles"), ("PUT", f"/api/kb/articles/{first.remote_id}")]
    assert sb.hotline.created == 1 and sb.hotline.updated == 1
    assert sb.hotline.articles[first.remote_id]["interpretation"]["index_no"] == INTERP
    assert c.payload_sha256 and len(c.payload_sha256) == 64


def test_interpretation_never_goes_alone(sb, channel, known):
    known.items[INTERP] = make_interp()
    with pytest.raises(Deferred, match="尚未在本平台登记"):  # the policy is unknown
        channel.publish(make_interp(), ctx(INTERP))
    known.items[POLICY] = make_item()
    known.deliveries[POLICY] = [{"version": 1, "status": "failed", "remote_id": None,
                                 "url": None}]
    with pytest.raises(Deferred, match="尚未发布到12345热线"):
        channel.publish(make_interp(), ctx(INTERP))
    known.deliveries[POLICY] = [{"version": 1, "status": "publishing", "remote_id": None,
                                 "url": None}]
    with pytest.raises(TransientError, match="正在发送"):  # retried until the policy is there
        channel.publish(make_interp(), ctx(INTERP))
    assert sb.hotline.requests == []


def test_new_policy_version_updates_instead_of_creating(sb, channel, known):
    known.items[POLICY] = make_item()
    first = channel.publish(make_item(), ctx())
    known.deliveries[POLICY] = [{"version": 1, "status": "published",
                                 "remote_id": first.remote_id, "url": None}]
    revised = make_item(version=2, title="菏泽市人民政府关于实施乡村振兴战略的意见（修订）")
    second = channel.publish(revised, ctx())
    assert second.remote_id == first.remote_id and sb.hotline.created == 1
    assert sb.hotline.articles[first.remote_id]["title"].endswith("（修订）")


@pytest.mark.parametrize(("fault", "error"), [
    ({"status": 503, "headers": {"Retry-After": "2"}}, TransientError),
    ({"status": 429}, TransientError),
    ({"drop": True}, TransientError),
    ({"status": 422, "body": {"error": "title too long"}}, PermanentError),
    ({"status": 401}, PermanentError),
])
def test_faults_are_classified(sb, channel, known, fault, error):
    known.items[POLICY] = make_item()
    sb.hotline.add_fault(Fault(path="/api/kb/articles", times=1, **fault))
    with pytest.raises(error) as caught:
        channel.publish(make_item(), ctx())
    assert sb.hotline.token not in str(caught.value)
    if fault.get("headers"):
        assert caught.value.retry_after == 2


def test_lost_answer_then_resend_makes_no_second_entry(sb, channel, known):
    known.items[POLICY] = make_item()
    sb.hotline.add_fault(Fault(path="/api/kb/articles", times=1, handle=True, drop=True))
    with pytest.raises(TransientError):
        channel.publish(make_item(), ctx())
    again = channel.publish(make_item(), ctx())
    assert sb.hotline.created == 1 and again.remote_id in sb.hotline.articles


def test_configuration_problems(tmp_path, known):
    channel = HotlineChannel("hotline", HotlineSettings(), known.hub(tmp_path))
    problems = channel.configuration_problems()
    assert any("HUB_CHANNELS__HOTLINE__TOKEN" in p for p in problems)
    assert any("api_base" in p for p in problems)


def test_other_kinds_are_not_routed_here(tmp_path, known):
    channel = HotlineChannel("hotline", HotlineSettings(), known.hub(tmp_path))
    assert channel.settings.kinds == ["policy", "interpretation"]
    assert channel.accepts(make_item(kind="notice")) is not None


# ---------------------------------------------------------------------------------------------
# End to end: hub publish / hub retry against the sandbox
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def run(tmp_path: Path, sb: Sandbox) -> Iterator[HubRun]:
    hub_run = HubRun(tmp_path)
    (tmp_path / "channels.toml").write_text(
        '[hub]\nstate_dir = ".hub"\norg_code = "371700"\n'
        f'public_url = "{PUBLIC_URL}"\n\n'
        f'[channels.hotline]\napi_base = "{sb.url("hotline")}"\n'
        '[channels.hotline.retry]\nmax_attempts = 3\ninitial_wait = 0.1\nmax_wait = 0.2\n',
        encoding="utf-8")
    hub_run.env["HUB_CHANNELS__HOTLINE__TOKEN"] = sb.hotline.token
    yield hub_run


def _policy(path: Path) -> Path:
    return write_item(path, "菏泽市人民政府关于实施乡村振兴战略的意见", kind="policy",
                      category="decision", department="菏泽市人民政府",
                      doc_number="菏政发〔2018〕15号", topics=["乡村振兴"],
                      body="一、总体要求。二、主要任务。")


def _interp(path: Path) -> Path:
    return write_item(path, "《菏泽市人民政府关于实施乡村振兴战略的意见》解读",
                      kind="interpretation", category="decision", department="菏泽市人民政府",
                      interprets="菏政发〔2018〕15号", topics=["乡村振兴"],
                      body="一、出台背景。二、主要内容。")


def test_e2e_interpretation_first_is_deferred_then_merged(run, sb, tmp_path):
    [first] = run.json("publish", str(_interp(tmp_path / "i.md")))
    [d] = first["deliveries"]
    assert d["status"] == "pending" and sb.hotline.requests == []  # never sent alone
    status = run("status", first["index_no"], check=0).stdout
    assert "待发布" in status and "解读不单独发送" in status
    [policy] = run.json("publish", str(_policy(tmp_path / "p.md")))
    entry = sb.hotline.articles[policy["deliveries"][0]["remote_id"]]
    assert entry["interpretation"]["index_no"] == first["index_no"]  # merged into the policy
    run("retry", check=0)  # records the interpretation against the policy's entry
    receipts = {r["index_no"]: r for r in run.json("receipts", "--channel", "hotline")}
    assert receipts[first["index_no"]]["status"] == "published"
    assert receipts[first["index_no"]]["remote_id"] == entry["id"]
    assert sb.hotline.created == 1


def test_e2e_policy_then_interpretation_puts_the_entry(run, sb, tmp_path):
    [policy] = run.json("publish", str(_policy(tmp_path / "p.md")))
    entry_id = policy["deliveries"][0]["remote_id"]
    assert sb.hotline.articles[entry_id]["interpretation"] is None
    [interp] = run.json("publish", str(_interp(tmp_path / "i.md")))
    assert interp["deliveries"][0]["status"] == "published"
    assert interp["deliveries"][0]["remote_id"] == entry_id
    assert sb.hotline.articles[entry_id]["interpretation"]["index_no"] == interp["index_no"]
    assert sb.hotline.count("/api/kb/articles", "POST") == 1


def test_the_fake_checks_entries_and_answers_put_delete(sb):
    import requests

    base = sb.url("hotline") + "/api/kb/articles"
    auth = {"Authorization": f"Bearer {sb.hotline.token}"}
    entry = {"external_id": POLICY, "title": "t", "department": "d", "doc_number": None,
             "effective": True, "summary": "", "body_text": "b", "url": "https://x/1.html",
             "interpretation": None, "keywords": []}
    with requests.Session() as http:
        assert http.post(base, json=entry, headers=auth, timeout=5).status_code == 400  # no key
        keyed = {**auth, "Idempotency-Key": "k1"}
        bad = http.post(base, json={**entry, "colour": 1}, headers=keyed, timeout=5)
        assert bad.status_code == 422 and "colour" in bad.json()["error"]
        assert http.post(base, json=entry, timeout=5).status_code == 401
        created = http.post(base, json=entry, headers=keyed, timeout=5)
        assert created.status_code == 201
        again = http.post(base, json=entry, headers=keyed, timeout=5)
        assert again.status_code == 200 and again.json() == created.json()
        entry_url = f"{base}/{created.json()['id']}"
        assert http.put(entry_url, json={**entry, "title": "t2"}, headers=auth,
                        timeout=5).status_code == 200
        assert http.get(entry_url, headers=auth, timeout=5).json()["title"] == "t2"
        assert http.delete(entry_url, headers=auth, timeout=5).status_code == 204
        assert http.delete(entry_url, headers=auth, timeout=5).status_code == 404
        assert http.put(entry_url, json=entry, headers=auth, timeout=5).status_code == 404
    assert (sb.hotline.created, sb.hotline.updated, sb.hotline.deleted) == (1, 1, 1)


class _Withdrawal:
    """What the core hands ``withdraw()`` (DESIGN §12): the publication's remote id."""

    def __init__(self, remote_id: str | None) -> None:
        self.remote_id = remote_id
        self.reason = "政策已调整"


def test_withdraw_policy_deletes_its_entry_and_gone_counts(sb, channel, known):
    known.items[POLICY] = make_item()
    first = channel.publish(make_item(), ctx())
    assert channel.can_withdraw
    result = channel.withdraw(make_item(), _Withdrawal(first.remote_id), ctx())
    assert result.remote_id == first.remote_id and sb.hotline.articles == {}
    again = channel.withdraw(make_item(), _Withdrawal(first.remote_id), ctx())  # 404
    assert "视为已撤回" in (again.note or "") and sb.hotline.deleted == 1


def test_withdraw_interpretation_takes_it_out_of_the_policys_entry(sb, channel, known):
    known.items[POLICY] = make_item()
    known.items[INTERP] = make_interp()
    first = channel.publish(make_item(), ctx())
    assert sb.hotline.articles[first.remote_id]["interpretation"]["index_no"] == INTERP
    known.deliveries[POLICY] = [{"version": 1, "status": "published",
                                 "remote_id": first.remote_id, "url": None}]
    result = channel.withdraw(make_interp(), _Withdrawal(first.remote_id), ctx(INTERP))
    assert result.remote_id == first.remote_id
    entry = sb.hotline.articles[first.remote_id]
    assert entry["interpretation"] is None and entry["external_id"] == POLICY  # policy stays


def test_e2e_hub_withdraw_deletes_the_entry_with_a_receipt(run, sb, tmp_path):
    [policy] = run.json("publish", str(_policy(tmp_path / "p.md")))
    entry_id = policy["deliveries"][0]["remote_id"]
    assert entry_id in sb.hotline.articles
    run("withdraw", policy["index_no"], "--reason", "政策已调整", check=0)
    assert entry_id not in sb.hotline.articles and sb.hotline.deleted == 1
    receipts = run.json("receipts", "--channel", "hotline", "--status", "withdrawn")
    assert [(r["index_no"], r["remote_id"]) for r in receipts] == [(policy["index_no"], entry_id)]
    run("withdraw", policy["index_no"], "--reason", "政策已调整", check=0)  # nothing twice
    assert sb.hotline.deleted == 1
    assert len(run.json("receipts", "--channel", "hotline", "--status", "withdrawn")) == 1
