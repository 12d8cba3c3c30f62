"""The fakes' withdrawal endpoints (DESIGN §5, §12): each takes a thing back once, says "gone"
the second time in the platform's own words, and takes faults like every other endpoint."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from heze_hub.sandbox import Fault, Sandbox
from heze_hub.sandbox.withdrawals import ARTICLE_GONE, WEIBO_GONE

HTTP = urllib3.PoolManager(retries=False)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def call(method: str, url: str, body: Any = None, form: dict[str, str] | None = None,
         **headers: str) -> tuple[int, Any]:
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    resp = HTTP.request(method, url, body=data, headers=headers)
    return resp.status, json.loads(resp.data) if resp.data else None


def test_portal_cms_delete(sb: Sandbox) -> None:
    auth = {"Authorization": f"Bearer {sb.portal.token}"}
    sb.portal.articles["1001"] = {"id": "1001", "index_no": "X/2018-00001"}
    assert call("DELETE", f"{sb.portal.url}/api/articles/1001")[0] == 401
    assert call("DELETE", f"{sb.portal.url}/api/articles/1001", **auth) == (204, None)
    assert "1001" in sb.portal.deleted and not sb.portal.articles
    assert call("DELETE", f"{sb.portal.url}/api/articles/1001", **auth)[0] == 404
    sb.portal.add_fault(Fault(path="/api/articles/1002", method="DELETE", status=503, times=1))
    assert call("DELETE", f"{sb.portal.url}/api/articles/1002", **auth)[0] == 503


def test_wechat_freepublish_delete(sb: Sandbox) -> None:
    status, token = call("POST", f"{sb.wechat.url}/cgi-bin/stable_token", {
        "grant_type": "client_credential", "appid": sb.wechat.appid, "secret": sb.wechat.secret})
    url = f"{sb.wechat.url}/cgi-bin/freepublish/delete?access_token={token['access_token']}"
    sb.wechat.publishes["1"] = {"media_id": "m", "final_status": 0, "polls": 0,
                                "article_id": "ART"}
    assert call("POST", url, {"article_id": "ART", "index": 0}) == (
        200, {"errcode": 0, "errmsg": "ok"})
    assert sb.wechat.publishes["1"]["deleted"] and "ART" in sb.wechat.deleted
    status, again = call("POST", url, {"article_id": "ART", "index": 0})
    assert status == 200 and again["errcode"] == ARTICLE_GONE
    sb.wechat.add_fault(Fault(path="/cgi-bin/freepublish/delete", body={"errcode": -1,
                                                                        "errmsg": "busy"}))
    assert call("POST", url, {"article_id": "ART", "index": 0})[1]["errcode"] == -1


def test_weibo_statuses_destroy(sb: Sandbox) -> None:
    token = sb.weibo.access_token
    sb.weibo.statuses["42"] = {"idstr": "42", "text": "t"}
    url = f"{sb.weibo.url}/2/statuses/destroy.json"
    assert call("POST", url, form={"access_token": "wrong", "id": "42"})[1]["error_code"] == 21327
    status, body = call("POST", url, form={"access_token": token, "id": "42"})
    assert status == 200 and body["idstr"] == "42" and "42" in sb.weibo.destroyed
    status, body = call("POST", url, form={"access_token": token, "id": "42"})
    assert status == 400 and body["error_code"] == WEIBO_GONE
    sb.weibo.add_fault(Fault(path="/2/statuses/destroy.json", drop=True, times=1))
    with pytest.raises(urllib3.exceptions.ProtocolError):
        call("POST", url, form={"access_token": token, "id": "42"})


def test_credit_revoke(sb: Sandbox) -> None:
    key = {"X-Api-Key": sb.credit.api_key}
    sb.credit.records["菏环罚字〔2018〕27号"] = {"type": "penalty", "record_id": "CF1",
                                              "idempotency_key": "k", "record": {}}
    url = f"{sb.credit.url}/api/v1/credit/penalty/revoke"
    assert call("POST", url, {"record_id": "CF1", "reason": "复议撤销"})[0] == 401
    assert call("POST", url, {"record_id": "CF1"}, **key)[0] == 400
    assert call("POST", url, {"record_id": "CF1", "reason": "复议撤销"}, **key) == (
        200, {"revoked": True})
    assert sb.credit.revoked["菏环罚字〔2018〕27号"]["reason"] == "复议撤销"
    assert call("POST", url, {"record_id": "CF1", "reason": "复议撤销"}, **key)[0] == 404
