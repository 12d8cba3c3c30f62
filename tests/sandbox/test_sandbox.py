"""The sandbox fakes, driven over real HTTP: happy paths, every validation error, idempotency,
fault injection, the control API and the runner."""

from __future__ import annotations

import ast
import io
import json
import re
import threading
import time
import tomllib
from datetime import datetime
from http.client import HTTPConnection
from pathlib import Path

import pytest
import requests

from heze_hub.sandbox import Fault, Sandbox
from heze_hub.sandbox.runner import load_faults, main, serve, tiny_jpeg
from heze_hub.sandbox.weibo import weibo_length
from tests.chinese import english_in
from tests.support import REPO

T = 5  # seconds: every request in this module is bounded


@pytest.fixture
def sb():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


# ---------------------------------------------------------------------------------------------
# WeChat
# ---------------------------------------------------------------------------------------------
CREDENTIALS = {"grant_type": "client_credential", "appid": "wx-sandbox-appid",
               "secret": "sandbox-wechat-secret", "force_refresh": False}


def wx(sb, http, path, payload, token=None, raw=None):
    """POST UTF-8 JSON the way a correct client does (ensure_ascii=False)."""
    data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    params = {"access_token": token} if token else None
    r = http.post(sb.url("wechat") + path, params=params, data=data, timeout=T)
    assert r.status_code == 200  # WeChat errors are HTTP 200
    return json.loads(r.content.decode("utf-8"))


def wx_token(sb, http, **over):
    return wx(sb, http, "/cgi-bin/stable_token", {**CREDENTIALS, **over})


def wx_upload(sb, http, token, data=None, kind="thumb", field="media"):
    r = http.post(sb.url("wechat") + "/cgi-bin/material/add_material",
                  params={"access_token": token, "type": kind},
                  files={field: ("cover.jpg", tiny_jpeg() if data is None else data,
                                 "image/jpeg")}, timeout=T)
    return r.json()


def article(thumb, **over):
    return {"title": "关于2018年菏泽市财政专项扶贫资金项目计划安排的公告", "author": "菏泽市扶贫办",
            "digest": "公布2018年市级财政专项扶贫资金项目计划安排。", "content": "<p>正文</p>",
            "content_source_url": "http://127.0.0.1/xxgk/1.html", "thumb_media_id": thumb,
            "need_open_comment": 0, "only_fans_can_comment": 0, **over}


@pytest.fixture
def wx_ready(sb, http):
    token = wx_token(sb, http)["access_token"]
    thumb = wx_upload(sb, http, token)["media_id"]
    return token, thumb


def test_wechat_token_is_cached_and_content_type_is_wechats(sb, http):
    r = http.post(sb.url("wechat") + "/cgi-bin/stable_token", json=CREDENTIALS, timeout=T)
    assert r.headers["Content-Type"] == "application/json; encoding=utf-8"
    first = r.json()
    assert first["expires_in"] == 7200 and first["access_token"]
    assert wx_token(sb, http)["access_token"] == first["access_token"]
    refreshed = wx_token(sb, http, force_refresh=True)["access_token"]
    assert refreshed != first["access_token"]
    # force_refresh invalidates the previous token
    assert wx(sb, http, "/cgi-bin/freepublish/get", {"publish_id": "1"},
              token=first["access_token"])["errcode"] == 40001
    assert sb.wechat.token_requests == 3


@pytest.mark.parametrize(("over", "errcode"), [
    ({"appid": "wx-other"}, 40013),
    ({"secret": "wrong"}, 40125),
    ({"grant_type": "password"}, 40002),
    ({"appid": ""}, 41002),
    ({"secret": ""}, 41004),
])
def test_wechat_token_errors(sb, http, over, errcode):
    answer = wx_token(sb, http, **over)
    assert answer["errcode"] == errcode and "access_token" not in answer


def test_wechat_token_expiry_unknown_and_missing(sb, http):
    sb.wechat.token_ttl = 0.3
    token = wx_token(sb, http)["access_token"]
    assert wx_token(sb, http)["expires_in"] == 1
    time.sleep(0.35)
    assert wx(sb, http, "/cgi-bin/draft/add", {}, token=token)["errcode"] == 42001
    sb.wechat.token_ttl = 7200
    token = wx_token(sb, http)["access_token"]
    sb.wechat.expire_tokens()
    assert wx(sb, http, "/cgi-bin/draft/add", {}, token=token)["errcode"] == 42001
    token = wx_token(sb, http)["access_token"]
    sb.wechat.invalidate_tokens()
    assert wx(sb, http, "/cgi-bin/draft/add", {}, token=token)["errcode"] == 40001
    assert wx(sb, http, "/cgi-bin/draft/add", {})["errcode"] == 41001
    assert wx(sb, http, "/cgi-bin/draft/add", {}, token="made-up")["errcode"] == 40001


def test_wechat_classic_token_and_health_endpoint(sb, http):
    r = http.get(sb.url("wechat") + "/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": "wx-sandbox-appid",
        "secret": "sandbox-wechat-secret"}, timeout=T)
    token = r.json()["access_token"]
    r = http.get(sb.url("wechat") + "/cgi-bin/get_api_domain_ip",
                 params={"access_token": token}, timeout=T)
    assert r.json() == {"ip_list": ["127.0.0.1"]}
    r = http.get(sb.url("wechat") + "/cgi-bin/draft/add", params={"access_token": token},
                 timeout=T)
    assert r.json()["errcode"] == 43002


def test_wechat_cover_upload(sb, http):
    token = wx_token(sb, http)["access_token"]
    answer = wx_upload(sb, http, token)
    assert set(answer) >= {"media_id", "url"}
    assert http.get(answer["url"], timeout=T).content == tiny_jpeg()
    assert wx_upload(sb, http, token, data=b"\x89PNG\r\n\x1a\n....")["errcode"] == 40005
    assert wx_upload(sb, http, token, data=b"\xff\xd8\xff" + b"0" * 70000)["errcode"] == 40012
    assert wx_upload(sb, http, token, kind="gif")["errcode"] == 40004
    assert wx_upload(sb, http, token, field="file")["errcode"] == 41005
    assert sb.wechat.uploads == 1 and len(sb.wechat.materials) == 1
    assert sb.wechat.requests[1].files["media"].data == tiny_jpeg()


def test_wechat_publish_flow(sb, http, wx_ready):
    token, thumb = wx_ready
    draft = wx(sb, http, "/cgi-bin/draft/add", {"articles": [article(thumb)]}, token=token)
    assert set(draft) == {"media_id"}
    submitted = wx(sb, http, "/cgi-bin/freepublish/submit", {"media_id": draft["media_id"]},
                   token=token)
    assert submitted["errcode"] == 0 and submitted["errmsg"] == "ok"
    # submit answers numbers, as the platform does; freepublish/get takes the id as a string.
    assert isinstance(submitted["publish_id"], int) and isinstance(submitted["msg_data_id"], int)
    wrong_type = wx(sb, http, "/cgi-bin/freepublish/get",
                    {"publish_id": submitted["publish_id"]}, token=token)
    assert wrong_type["errcode"] == 47001 and "publish_id" in wrong_type["errmsg"]
    assert sb.wechat.polls == 0
    publish_id = str(submitted["publish_id"])
    first = wx(sb, http, "/cgi-bin/freepublish/get", {"publish_id": publish_id}, token=token)
    assert first == {"publish_id": publish_id, "publish_status": 1, "fail_idx": []}
    done = wx(sb, http, "/cgi-bin/freepublish/get", {"publish_id": publish_id}, token=token)
    assert done["publish_status"] == 0 and done["article_id"] and done["fail_idx"] == []
    assert done["article_detail"]["count"] == 1
    [item] = done["article_detail"]["item"]
    assert item["idx"] == 1 and item["article_url"].startswith("https://mp.weixin.qq.com/s/")
    assert (sb.wechat.submits, len(sb.wechat.drafts), sb.wechat.polls) == (1, 1, 2)
    assert sb.wechat.count("/cgi-bin/freepublish/submit") == 1
    # the draft was stored as sent, Chinese intact
    stored = sb.wechat.drafts[draft["media_id"]]["articles"][0]
    assert stored["title"] == article(thumb)["title"]


@pytest.mark.parametrize(("status", "fields"), [
    (2, {"fail_idx": [1]}), (3, {"fail_idx": [1]}), (4, {"fail_idx": [1]}),
    (5, {"fail_idx": []}), (6, {"fail_idx": []}),
])
def test_wechat_configured_publish_outcome(sb, http, wx_ready, status, fields):
    token, thumb = wx_ready
    sb.wechat.polls_until_published = 0
    sb.wechat.next_publish_status = status
    media_id = wx(sb, http, "/cgi-bin/draft/add", {"articles": [article(thumb)]},
                  token=token)["media_id"]
    pid = wx(sb, http, "/cgi-bin/freepublish/submit", {"media_id": media_id},
             token=token)["publish_id"]
    answer = wx(sb, http, "/cgi-bin/freepublish/get", {"publish_id": str(pid)}, token=token)
    assert answer["publish_status"] == status
    assert answer["fail_idx"] == fields["fail_idx"]
    assert "article_detail" not in answer
    # one-shot: the next publication succeeds
    pid = wx(sb, http, "/cgi-bin/freepublish/submit", {"media_id": media_id},
             token=token)["publish_id"]
    assert wx(sb, http, "/cgi-bin/freepublish/get", {"publish_id": str(pid)},
              token=token)["publish_status"] == 0


def test_wechat_polls_until_published_is_configurable(sb, http, wx_ready):
    token, thumb = wx_ready
    sb.wechat.polls_until_published = 3
    media_id = wx(sb, http, "/cgi-bin/draft/add", {"articles": [article(thumb)]},
                  token=token)["media_id"]
    pid = wx(sb, http, "/cgi-bin/freepublish/submit", {"media_id": media_id},
             token=token)["publish_id"]
    statuses = [wx(sb, http, "/cgi-bin/freepublish/get", {"publish_id": str(pid)},
                   token=token)["publish_status"] for _ in range(4)]
    assert statuses == [1, 1, 1, 0]


@pytest.mark.parametrize(("over", "errcode"), [
    ({"title": "标" * 33}, 45003),
    ({"author": "作" * 17}, 45110),
    ({"digest": "摘" * 129}, 45004),
    ({"content": "字" * 20000}, 45002),
    ({"content": "<p>x</p><SCRIPT>alert(1)</SCRIPT>"}, 45166),
    ({"content_source_url": "http://127.0.0.1/" + "a" * 1100}, 45005),
    ({"thumb_media_id": "unknown"}, 40007),
    ({"title": ""}, 44003),
    ({"content": ""}, 44003),
])
def test_wechat_draft_validation(sb, http, wx_ready, over, errcode):
    token, thumb = wx_ready
    answer = wx(sb, http, "/cgi-bin/draft/add", {"articles": [article(thumb, **over)]},
                token=token)
    assert answer["errcode"] == errcode
    assert not sb.wechat.drafts


def test_wechat_draft_limits_are_inclusive(sb, http, wx_ready):
    token, thumb = wx_ready
    ok = article(thumb, title="标" * 32, author="作" * 16, digest="摘" * 128,
                 content="字" * 19999)
    assert "media_id" in wx(sb, http, "/cgi-bin/draft/add", {"articles": [ok]}, token=token)


def test_wechat_draft_body_format(sb, http, wx_ready):
    token, thumb = wx_ready
    escaped = json.dumps({"articles": [article(thumb)]}).encode()  # ensure_ascii=True
    assert wx(sb, http, "/cgi-bin/draft/add", None, token=token, raw=escaped)["errcode"] == 40033
    # an escaped backslash followed by "u4e2d" is text, not an escape
    literal = article(thumb, content="<p>路径 C:\\u4e2d</p>")
    assert "media_id" in wx(sb, http, "/cgi-bin/draft/add", {"articles": [literal]}, token=token)
    gbk = json.dumps({"articles": [article(thumb)]}, ensure_ascii=False).encode("gbk")
    assert wx(sb, http, "/cgi-bin/draft/add", None, token=token, raw=gbk)["errcode"] == 40033
    assert wx(sb, http, "/cgi-bin/draft/add", None, token=token, raw=b"{no")["errcode"] == 47001
    assert wx(sb, http, "/cgi-bin/draft/add", {"articles": []}, token=token)["errcode"] == 44003
    nine = {"articles": [article(thumb)] * 9}
    assert wx(sb, http, "/cgi-bin/draft/add", nine, token=token)["errcode"] == 45008


def test_wechat_submit_and_get_unknown_ids(sb, http, wx_ready):
    token, _ = wx_ready
    assert wx(sb, http, "/cgi-bin/freepublish/submit", {"media_id": "nope"},
              token=token)["errcode"] == 40007
    assert wx(sb, http, "/cgi-bin/freepublish/get", {"publish_id": "42"},
              token=token)["errcode"] == 47003
    assert sb.wechat.submits == 0


# ---------------------------------------------------------------------------------------------
# Weibo
# ---------------------------------------------------------------------------------------------
SHARE = "/2/statuses/share.json"


def share(sb, http, status, token="sandbox-weibo-token", rip="203.0.113.5", **kwargs):
    data = {"status": status}
    if token is not None:
        data["access_token"] = token
    if rip is not None:
        data["rip"] = rip
    return http.post(sb.url("weibo") + SHARE, data=data, timeout=T, **kwargs)


def test_weibo_share_success(sb, http):
    text = "【公告】关于2018年菏泽市财政专项扶贫资金项目计划安排的公告 http://127.0.0.1:8700/xxgk/1.html"
    r = share(sb, http, text)
    assert r.status_code == 200
    raw_id = re.search(rb'"id":\s*(\d+)', r.content).group(1).decode()
    answer = r.json()
    assert int(raw_id) > 2**53 and answer["idstr"] == raw_id
    assert float(raw_id) != int(raw_id)  # a float parser would lose it
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \+0800 \d{4}",
                        answer["created_at"])
    datetime.strptime(answer["created_at"], "%a %b %d %H:%M:%S %z %Y")
    assert answer["text"] == text and answer["user"]["screen_name"]
    assert list(sb.weibo.statuses) == [raw_id]
    second = share(sb, http, text + "?v=2").json()
    assert int(second["idstr"]) > int(raw_id)


def test_weibo_token_forms(sb, http):
    url = "新闻 http://127.0.0.1/a.html"
    assert share(sb, http, url, token=None,
                 headers={"Authorization": "OAuth2 sandbox-weibo-token"}).status_code == 200
    r = http.post(sb.url("weibo") + SHARE, files={
        "access_token": (None, "sandbox-weibo-token"), "status": (None, "图 " + url + "?p"),
        "rip": (None, "2001:db8::5"), "pic": ("a.jpg", tiny_jpeg(), "image/jpeg")}, timeout=T)
    assert r.status_code == 200, r.text
    assert http.get(sb.url("weibo") + "/2/account/get_uid.json",
                    params={"access_token": "sandbox-weibo-token"}, timeout=T).json()["uid"]


@pytest.mark.parametrize(("status", "token", "code"), [
    ("新闻 http://127.0.0.1/a.html", "wrong-token", 21327),
    ("新闻 http://127.0.0.1/a.html", None, 21301),
    ("", "sandbox-weibo-token", 10016),
    ("字" * 131 + " http://127.0.0.1/a.html", "sandbox-weibo-token", 20012),
    ("没有链接的微博", "sandbox-weibo-token", 20018),
    ("新闻 http://evil.example.com/a.html", "sandbox-weibo-token", 20018),
    ("新闻 http://127.0.0.1.evil.com/a.html", "sandbox-weibo-token", 20018),
])
def test_weibo_errors(sb, http, status, token, code):
    r = share(sb, http, status, token=token)
    assert r.status_code == 400
    assert r.json() == {"error": r.json()["error"], "error_code": code, "request": SHARE}
    assert not sb.weibo.statuses


@pytest.mark.parametrize(("rip", "code", "words"), [
    (None, 10016, "miss required parameter (rip)"),
    ("", 10016, "miss required parameter (rip)"),
    ("203.0.113", 10017, "parameter (rip)'s value invalid"),
    ("localhost", 10017, "but get (localhost)"),
])
def test_weibo_share_requires_rip(sb, http, rip, code, words):
    # Weibo's current documentation makes rip (the caller's real public IP) required.
    r = share(sb, http, "新闻 http://127.0.0.1/a.html", rip=rip)
    assert r.status_code == 400 and r.json()["error_code"] == code
    assert words in r.json()["error"]
    assert not sb.weibo.statuses


def test_weibo_duplicate_and_safe_domains(sb, http):
    text = "新闻 http://www.example.gov.cn/xxgk/1.html"  # subdomain of a safe domain
    assert share(sb, http, text).status_code == 200
    again = share(sb, http, text)
    assert again.status_code == 400 and again.json()["error_code"] == 20019
    assert len(sb.weibo.statuses) == 1 and sb.weibo.count(SHARE) == 2
    portal = "新闻 https://www.heze.gov.cn/xxgk/1.html"
    assert share(sb, http, portal).json()["error_code"] == 20018
    sb.weibo.allow_domain("https://www.heze.gov.cn")
    assert share(sb, http, portal).status_code == 200


def test_weibo_public_url_host_is_safe():
    with Sandbox(public_url="https://xxgk.heze.gov.cn/") as sb, requests.Session() as http:
        assert share(sb, http, "新闻 https://xxgk.heze.gov.cn/a.html").status_code == 200


def test_weibo_length_rule(sb, http):
    url = "http://127.0.0.1:8700/xxgk/11371700MB28581235/2018-00001.html"
    assert weibo_length("字" * 130 + url) == 140  # a URL counts as 10
    assert weibo_length("ab" * 140) == 140 and weibo_length("ab" * 140 + "a") == 141
    assert weibo_length("字" * 139 + "a") == 140
    assert weibo_length("http://x.cn/" + "a" * 200) == 46  # long URL: (212 - 120) / 2
    assert share(sb, http, "字" * 130 + url).status_code == 200
    assert share(sb, http, "字" * 129 + "ab" + url).status_code == 200
    assert share(sb, http, "字" * 130 + "a" + url).json()["error_code"] == 20012


# ---------------------------------------------------------------------------------------------
# Credit
# ---------------------------------------------------------------------------------------------
# Second edition (DESIGN §5.5): the party's six code columns, the representative's document.
CODES = {f"行政相对人代码_{i}": "" for i in range(2, 7)} | {"法定代表人证件类型": "",
                                                          "法定代表人证件号码": ""}
LICENSE = {
    "行政相对人名称": "菏泽某建设工程有限公司", "行政相对人类别": "法人及非法人组织",
    "行政相对人代码_1": "91371702MA3F8R6Q48", **CODES, "法定代表人": "王某",
    "行政许可决定文书名称": "建筑工程施工许可证", "行政许可决定文书号": "菏建许〔2018〕112号",
    "许可类别": "普通", "许可证书名称": "建筑工程施工许可证", "许可编号": "371701201805210101",
    "许可内容": "菏泽市牡丹区棚户区改造安置房项目（一期）施工许可", "许可决定日期": "2018-05-21",
    "有效期自": "2018-05-21", "有效期至": "2019-05-20", "许可机关": "菏泽市住房和城乡建设局",
    "许可机关统一社会信用代码": "12371700MB28581232", "当前状态": "有效",
    "数据来源单位": "菏泽市住房和城乡建设局", "数据来源单位统一社会信用代码": "12371700MB28581232",
}
PENALTY = {
    "行政相对人名称": "菏泽某化工有限公司", "行政相对人类别": "法人及非法人组织",
    "行政相对人代码_1": "91371700MA3C4K2P7T", **CODES, "法定代表人": "李某",
    "行政处罚决定书文号": "菏环罚字〔2018〕27号", "违法行为类型": "未按规定运行大气污染防治设施",
    "违法事实": "2018年7月10日检查发现，该公司脱硫设施未正常运行。",
    "处罚依据": "《中华人民共和国大气污染防治法》第九十九条第（三）项", "处罚类别": "罚款",
    "处罚内容": "罚款人民币二十万元", "罚款金额（万元）": 20, "处罚决定日期": "2018-08-06",
    "处罚有效期": "2019-08-06", "处罚机关": "菏泽市环境保护局",
    "处罚机关统一社会信用代码": "11371700004234576M", "数据来源单位": "菏泽市环境保护局",
    "数据来源单位统一社会信用代码": "11371700004234576M",
}
PERSON = {**PENALTY, "行政相对人名称": "张某", "行政相对人类别": "自然人", "行政相对人代码_1": "",
          "法定代表人": "", "证件类型": "身份证", "证件号码": "11010519491231002X",
          "行政处罚决定书文号": "菏环罚字〔2018〕28号"}


def file_records(sb, http, kind, records, key="k-1", api_key="sandbox-credit-key"):
    headers = {"X-Api-Key": api_key}
    if key is not None:
        headers["Idempotency-Key"] = key
    return http.post(f"{sb.url('credit')}/api/v1/credit/{kind}", json={"records": records},
                     headers=headers, timeout=T)


def test_credit_accepts_valid_records(sb, http):
    r = file_records(sb, http, "license", [LICENSE])
    assert r.status_code == 200
    answer = r.json()
    assert answer["rejected"] == []
    [accepted] = answer["accepted"]
    assert accepted["decision_number"] == "菏建许〔2018〕112号" and accepted["record_id"]
    r = file_records(sb, http, "penalty", [PENALTY, PERSON], key="k-2")
    assert [a["decision_number"] for a in r.json()["accepted"]] == [
        "菏环罚字〔2018〕27号", "菏环罚字〔2018〕28号"]
    assert set(sb.credit.records) == {"菏建许〔2018〕112号", "菏环罚字〔2018〕27号",
                                      "菏环罚字〔2018〕28号"}
    assert sb.credit.records["菏环罚字〔2018〕28号"]["record"]["证件号码"] == "11010519491231002X"


@pytest.mark.parametrize(("kind", "record", "reason"), [
    ("license", {k: v for k, v in LICENSE.items() if k != "许可内容"}, "缺少必填字段：许可内容"),
    ("license", {**LICENSE, "法定代表人": ""}, "缺少必填字段：法定代表人"),
    ("license", {**LICENSE, "许可决定日期": "2018/05/21"}, "许可决定日期 不是有效日期"),
    ("license", {**LICENSE, "有效期自": "2018-02-30"}, "有效期自 不是有效日期"),
    ("license", {**LICENSE, "有效期至": "2017-01-01"}, "有效期至 早于 有效期自"),
    ("license", {**LICENSE, "许可类别": "一般"}, "许可类别 取值无效"),
    ("license", {**LICENSE, "行政相对人代码_1": "91371702MA3F8R6Q49"}, "行政相对人代码_1 不是有效"),
    # GB 32100 check character right, the embedded organisation code's (GB 11714) wrong.
    ("license", {**LICENSE, "行政相对人代码_1": "91371702MA3F8R6Q22"}, "行政相对人代码_1 不是有效"),
    ("penalty", {**PENALTY, "处罚机关统一社会信用代码": "11371700004234573C"},
     "处罚机关统一社会信用代码 不是有效"),
    # The first edition's name is not a column of the second.
    ("license", {k: v for k, v in {**LICENSE, "统一社会信用代码": "91371702MA3F8R6Q48"}.items()
                 if k != "行政相对人代码_1"}, "未知字段：统一社会信用代码"),
    ("license", {**LICENSE, "行政相对人代码_1": ""}, "缺少必填字段：行政相对人代码_1"),
    ("penalty", {**PENALTY, "法定代表人证件类型": "身份证",
                 "法定代表人证件号码": "110105194912310021"},
     "法定代表人证件号码 不是有效的居民身份证号码"),
    ("license", {**LICENSE, "type": "license"}, "未知字段：type"),
    ("license", {**LICENSE, "行政相对人类别": "企业"}, "行政相对人类别 取值无效"),
    ("penalty", {**PENALTY, "罚款金额（万元）": "20"}, "罚款金额（万元） 必须是不小于 0 的数字"),
    ("penalty", {**PENALTY, "罚款金额（万元）": -1}, "罚款金额（万元） 必须是不小于 0 的数字"),
    ("penalty", {k: v for k, v in PENALTY.items() if k != "罚款金额（万元）"},
     "缺少必填字段：罚款金额（万元）"),
    ("penalty", {**PENALTY, "处罚类别": "没收违法所得、没收非法财物"},
     "缺少必填字段：没收违法所得、没收非法财物的金额（万元）"),
    ("penalty", {**PENALTY, "违法事实": 12}, "违法事实 必须是字符串"),
    ("penalty", {**PERSON, "证件号码": "110105194912310021"}, "证件号码 不是有效的居民身份证号码"),
    ("penalty", {**PERSON, "证件号码": ""}, "缺少必填字段：证件号码"),
    ("penalty", {**PENALTY, "处罚机关统一社会信用代码": "11371700004234576"},
     "处罚机关统一社会信用代码 不是有效"),
    ("penalty", ["not", "an", "object"], "记录不是 JSON 对象"),
])
def test_credit_rejects_invalid_records(sb, http, kind, record, reason):
    r = file_records(sb, http, kind, [record])
    assert r.status_code == 200
    answer = r.json()
    assert answer["accepted"] == []
    [rejected] = answer["rejected"]
    assert reason in rejected["reason"], rejected["reason"]
    assert not sb.credit.records


def test_credit_party_without_uscc_is_identified_by_another_code(sb, http):
    # 行政相对人代码_1 is required only when none of _2…_6 is given (second edition).
    shop = {**PENALTY, "行政相对人类别": "个体工商户", "行政相对人代码_1": "",
            "行政相对人代码_2": "371700600123456"}
    r = file_records(sb, http, "penalty", [shop])
    assert r.json()["rejected"] == [] and len(r.json()["accepted"]) == 1


def test_credit_provincial_template_column_names(sb, http):
    # A provincial platform still on the first edition's name for code _1.
    sb.credit.columns = {"行政相对人代码_1": "统一社会信用代码"}
    renamed = {sb.credit.columns.get(k, k): v for k, v in LICENSE.items()}
    assert file_records(sb, http, "license", [renamed]).json()["rejected"] == []
    r = file_records(sb, http, "penalty", [PENALTY], key="k-2")  # the standard name: not its column
    [rejected] = r.json()["rejected"]
    assert "未知字段：行政相对人代码_1（本平台模板列名为“统一社会信用代码”）" in rejected["reason"]
    sb.credit.reset()
    assert sb.credit.columns == {}


def test_credit_mixed_batch_and_duplicates(sb, http):
    bad = {**LICENSE, "行政许可决定文书号": "菏建许〔2018〕113号", "许可决定日期": "2018-13-01"}
    answer = file_records(sb, http, "license", [LICENSE, bad, LICENSE], key="a").json()
    assert [a["decision_number"] for a in answer["accepted"]] == ["菏建许〔2018〕112号"]
    assert [(r["decision_number"], "重复报送" in r["reason"]) for r in answer["rejected"]] == [
        ("菏建许〔2018〕113号", False), ("菏建许〔2018〕112号", True)]
    # the same decision number under another key: already on file
    again = file_records(sb, http, "license", [LICENSE], key="b").json()
    assert again == {"accepted": [], "rejected": [
        {"decision_number": "菏建许〔2018〕112号", "reason": "重复报送"}]}
    assert len(sb.credit.records) == 1


def test_credit_idempotency(sb, http):
    first = file_records(sb, http, "penalty", [PENALTY], key="same")
    second = file_records(sb, http, "penalty", [PENALTY], key="same")
    assert second.status_code == 200 and second.json() == first.json()
    assert first.json()["accepted"] and len(sb.credit.records) == 1 and sb.credit.batches == 1
    assert sb.credit.count("/api/v1/credit/penalty") == 2
    different = file_records(sb, http, "penalty", [PERSON], key="same")
    assert different.status_code == 422 and "Idempotency-Key" in different.json()["error"]


def test_credit_request_errors(sb, http):
    r = file_records(sb, http, "penalty", [PENALTY], api_key="wrong")
    assert r.status_code == 401 and r.json()["error"]
    r = file_records(sb, http, "penalty", [PENALTY], key=None)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]
    assert file_records(sb, http, "penalty", []).status_code == 400
    assert file_records(sb, http, "recall", [PENALTY]).status_code == 404
    r = http.post(sb.url("credit") + "/api/v1/credit/penalty", data=b"[1, 2]", timeout=T,
                  headers={"X-Api-Key": "sandbox-credit-key", "Idempotency-Key": "x"})
    assert r.status_code == 400
    assert not sb.credit.records


# ---------------------------------------------------------------------------------------------
# Portal CMS
# ---------------------------------------------------------------------------------------------
ARTICLE = {
    "index_no": "11371700MB28581235/2018-00001", "version": 1,
    "title": "关于2018年菏泽市财政专项扶贫资金项目计划安排的公告",
    "department": "菏泽市扶贫开发领导小组办公室", "doc_number": "菏扶贫办发〔2018〕12号",
    "written_on": "2018-06-01", "published_at": "2018-06-02T09:30:00+08:00",
    "category": "result", "topics": ["精准扶贫", "财政预决算"], "kind": "announcement",
    "summary": "公布2018年市级财政专项扶贫资金项目计划安排，接受社会监督。",
    "body_html": "<p>正文</p>", "content_sha256": "a" * 64, "interprets": None,
    "attachments": [],
}


def post_article(sb, http, body, key="11371700MB28581235/2018-00001:1:portal",
                 token="sandbox-portal-token"):
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return http.post(sb.url("portal") + "/api/articles", json=body, headers=headers, timeout=T)


def test_portal_create_and_replay(sb, http):
    first = post_article(sb, http, ARTICLE)
    assert first.status_code == 201
    assert set(first.json()) == {"id", "url"}
    second = post_article(sb, http, ARTICLE)
    assert second.status_code == 200 and second.json() == first.json()
    assert sb.portal.created == 1 and len(sb.portal.articles) == 1
    page = http.get(first.json()["url"], timeout=T)
    assert page.status_code == 200 and ARTICLE["title"] in page.text
    stored = http.get(f"{sb.url('portal')}/api/articles/{first.json()['id']}", timeout=T,
                      headers={"Authorization": "Bearer sandbox-portal-token"}).json()
    assert stored["index_no"] == ARTICLE["index_no"]
    other = post_article(sb, http, {**ARTICLE, "version": 2}, key="v2")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(("body", "status", "word"), [
    ({k: v for k, v in ARTICLE.items() if k != "content_sha256"}, 422, "content_sha256"),
    ({**ARTICLE, "extra": 1}, 422, "extra"),
    ({**ARTICLE, "version": "1"}, 422, "version"),
    ({**ARTICLE, "written_on": "2018/06/01"}, 422, "written_on"),
    ({**ARTICLE, "published_at": "2018-06-02T09:30:00"}, 422, "published_at"),
    ({**ARTICLE, "category": "决策公开"}, 422, "category"),
    ({**ARTICLE, "kind": "news"}, 422, "kind"),
    ({**ARTICLE, "topics": "精准扶贫"}, 422, "topics"),
    ({**ARTICLE, "content_sha256": "xyz"}, 422, "content_sha256"),
    ({**ARTICLE, "title": "  "}, 422, "title"),
    ({**ARTICLE, "attachments": ["a.pdf"]}, 422, "attachments"),
    (["not", "an", "object"], 400, "JSON object"),
])
def test_portal_validation(sb, http, body, status, word):
    r = post_article(sb, http, body)
    assert r.status_code == status and word in r.json()["error"]
    assert sb.portal.created == 0


def test_portal_auth_and_key(sb, http):
    r = post_article(sb, http, ARTICLE, token="wrong")
    assert r.status_code == 401 and r.json()["error"] and r.headers["WWW-Authenticate"]
    assert post_article(sb, http, ARTICLE, token=None).status_code == 401
    r = post_article(sb, http, ARTICLE, key=None)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]
    assert sb.portal.created == 0 and sb.portal.count("/api/articles") == 3
    assert sb.portal.requests[0].headers["authorization"] == "Bearer wrong"


def test_portal_serves_static_dir(tmp_path):
    (tmp_path / "xxgk").mkdir()
    (tmp_path / "xxgk" / "a.html").write_text("<p>公开</p>", encoding="utf-8")
    (tmp_path / "index.html").write_text("home", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("no", encoding="utf-8")
    with Sandbox(static_dir=tmp_path) as sb, requests.Session() as http:
        r = http.get(sb.url("portal") + "/xxgk/a.html", timeout=T)
        assert r.status_code == 200 and r.text == "<p>公开</p>"
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert http.get(sb.url("portal") + "/", timeout=T).text == "home"
        assert http.get(sb.url("portal") + "/xxgk/b.html", timeout=T).status_code == 404
        conn = HTTPConnection("127.0.0.1", sb.portal.port, timeout=T)
        conn.request("GET", "/%2e%2e/secret.txt")
        assert conn.getresponse().status == 404
        conn.close()


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------
def test_fault_status_with_retry_after_then_normal(sb, http):
    sb.portal.add_fault(Fault(path="/api/articles", status=503, headers={"Retry-After": "1"},
                              times=2))
    answers = [post_article(sb, http, ARTICLE) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 201]
    assert answers[0].headers["Retry-After"] == "1" and answers[0].json()["error"]
    assert "Retry-After" not in answers[2].headers
    assert sb.portal.count("/api/articles") == 3 and sb.portal.created == 1
    assert [r.faulted for r in sb.portal.requests] == [True, True, False]
    assert [r.status for r in sb.portal.requests] == [503, 503, 201]


def test_fault_body_wechat_and_weibo(sb, http, wx_ready):
    token, thumb = wx_ready
    sb.wechat.add_fault(Fault(path="/cgi-bin/freepublish/submit", times=1,
                              body={"errcode": -1, "errmsg": "system error"}))
    media_id = wx(sb, http, "/cgi-bin/draft/add", {"articles": [article(thumb)]},
                  token=token)["media_id"]
    busy = wx(sb, http, "/cgi-bin/freepublish/submit", {"media_id": media_id}, token=token)
    assert busy == {"errcode": -1, "errmsg": "system error"}
    assert sb.wechat.submits == 0  # the fault answered instead of the platform
    assert wx(sb, http, "/cgi-bin/freepublish/submit", {"media_id": media_id},
              token=token)["errcode"] == 0
    assert sb.wechat.count("/cgi-bin/freepublish/submit") == 2 and sb.wechat.submits == 1

    limit = {"error": "User requests out of rate limit!", "error_code": 10023, "request": SHARE}
    sb.weibo.add_fault(Fault(path=SHARE, status=400, body=limit))
    r = share(sb, http, "新闻 http://127.0.0.1/a.html")
    assert r.status_code == 400 and r.json() == limit
    sb.weibo.clear_faults()
    assert share(sb, http, "新闻 http://127.0.0.1/a.html").status_code == 200


def test_fault_status_without_body_uses_the_services_error_shape(sb, http):
    sb.weibo.add_fault(Fault(path=SHARE, status=503))
    assert share(sb, http, "x http://127.0.0.1/").json()["error_code"] == 10001
    sb.wechat.add_fault(Fault(status=500))
    assert http.post(sb.url("wechat") + "/cgi-bin/stable_token", json=CREDENTIALS,
                     timeout=T).json()["errcode"] == -1


def test_fault_delay_then_normal_answer(sb, http):
    sb.credit.add_fault(Fault(path="/api/v1/credit/penalty", delay=0.3))
    start = time.monotonic()
    r = file_records(sb, http, "penalty", [PENALTY])
    assert time.monotonic() - start >= 0.3
    assert r.status_code == 200 and r.json()["accepted"]
    start = time.monotonic()
    file_records(sb, http, "license", [LICENSE])  # other path: not delayed
    assert time.monotonic() - start < 0.3


def test_fault_drop_then_retry(sb, http):
    sb.credit.add_fault(Fault(path="/api/v1/credit/penalty", drop=True, times=1))
    with pytest.raises(requests.ConnectionError):
        file_records(sb, http, "penalty", [PENALTY])
    assert not sb.credit.records  # dropped before the platform saw it
    assert file_records(sb, http, "penalty", [PENALTY]).json()["accepted"]
    assert sb.credit.count("/api/v1/credit/penalty") == 2
    assert [r.status for r in sb.credit.requests] == [None, 200]


def test_fault_delay_and_drop_combine(sb, http):
    sb.credit.add_fault(Fault(path="/api/v1/credit/penalty", delay=0.2))
    sb.credit.add_fault(Fault(path="/api/v1/credit/penalty", drop=True, times=1))
    start = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        file_records(sb, http, "penalty", [PENALTY])
    assert time.monotonic() - start >= 0.2
    assert file_records(sb, http, "penalty", [PENALTY]).json()["accepted"]


def test_fault_handled_then_answer_lost(sb, http):
    """The remote did it, the answer was lost; the idempotency key makes the resend safe."""
    sb.credit.add_fault(Fault(path="/api/v1/credit/penalty", drop=True, handle=True, times=1))
    with pytest.raises(requests.ConnectionError):
        file_records(sb, http, "penalty", [PENALTY], key="lost")
    assert len(sb.credit.records) == 1
    replay = file_records(sb, http, "penalty", [PENALTY], key="lost").json()
    assert replay["accepted"] and len(sb.credit.records) == 1 and sb.credit.batches == 1

    sb.portal.add_fault(Fault(path="/api/articles", status=502, handle=True, times=1))
    assert post_article(sb, http, ARTICLE).status_code == 502
    assert sb.portal.created == 1
    assert post_article(sb, http, ARTICLE).status_code == 200


def test_fault_after_times_method_and_any_path(sb, http):
    fault = sb.portal.add_fault(Fault(path="/api/articles", after=1, times=1, status=500))
    codes = [post_article(sb, http, {**ARTICLE, "version": v}, key=f"k{v}").status_code
             for v in (1, 2, 3)]
    assert codes == [201, 500, 201]
    assert (fault.matched, fault.fired) == (3, 1)
    sb.portal.clear_faults()
    sb.portal.add_fault(Fault(method="GET", status=418))
    assert post_article(sb, http, ARTICLE, key="k9").status_code == 201
    assert http.get(sb.url("portal") + "/anything", timeout=T).status_code == 418


def test_faults_from_constructor():
    faults = {"weibo": [Fault(path=SHARE, status=400, body={
        "error": "expired_token", "error_code": 21327, "request": SHARE})],
              "credit": [{"path": "/api/v1/credit/license", "status": 503}]}
    with Sandbox(faults=faults) as sb, requests.Session() as http:
        assert share(sb, http, "x http://127.0.0.1/").json()["error_code"] == 21327
        assert file_records(sb, http, "license", [LICENSE]).status_code == 503
    with pytest.raises(KeyError):
        Sandbox(faults={"sms": []})
    with pytest.raises(ValueError):
        Fault.from_dict({"path": "/x", "retries": 1})
    with pytest.raises(ValueError):
        Fault(path="no-slash")


def test_fault_control_api(sb, http):
    base = sb.url("credit") + "/_sandbox"
    faults = [{"path": "/api/v1/credit/penalty", "status": 503,
               "headers": {"Retry-After": "2"}, "times": 1}]
    r = http.post(base + "/faults", json=faults, timeout=T)
    assert r.status_code == 200
    r = file_records(sb, http, "penalty", [PENALTY])
    assert r.status_code == 503 and r.headers["Retry-After"] == "2"
    listed = http.get(base + "/faults", timeout=T).json()
    assert listed[0]["fired"] == 1 and listed[0]["path"] == "/api/v1/credit/penalty"
    assert file_records(sb, http, "penalty", [PENALTY]).status_code == 200
    recorded = http.get(base + "/requests", timeout=T).json()
    assert [r["status"] for r in recorded] == [503, 200]  # control calls are not recorded
    assert recorded[0]["headers"]["X-Api-Key"] == "sandbox-credit-key"
    assert recorded[0]["json"]["records"][0]["行政处罚决定书文号"] == "菏环罚字〔2018〕27号"
    state = http.get(base + "/state", timeout=T).json()
    assert "菏环罚字〔2018〕27号" in state["records"]
    assert http.post(base + "/faults", data=b'[{"path": "/x", "nope": 1}]',
                     timeout=T).status_code == 400
    assert http.post(base + "/faults", json=faults, timeout=T).status_code == 200
    assert http.delete(base + "/faults", timeout=T).status_code == 200
    assert sb.credit.faults == []
    assert http.post(base + "/reset", timeout=T).status_code == 200
    assert sb.credit.requests == [] and sb.credit.records == {}


# ---------------------------------------------------------------------------------------------
# HTTP behaviour
# ---------------------------------------------------------------------------------------------
def test_http11_keep_alive_and_content_length(sb, http):
    first = post_article(sb, http, ARTICLE)
    second = post_article(sb, http, ARTICLE)
    assert second.status_code == 200 and second.content == first.content
    assert first.raw.version == 11 and first.headers["Content-Length"] == str(len(first.content))
    clients = [r.client for r in sb.portal.requests]
    assert clients[0] == clients[1]  # one connection, reused


def test_chunked_request_body(sb, http):
    data = json.dumps(ARTICLE, ensure_ascii=False).encode("utf-8")
    r = http.post(sb.url("portal") + "/api/articles", data=iter([data[:50], data[50:]]),
                  headers={"Authorization": "Bearer sandbox-portal-token",
                           "Idempotency-Key": "chunked", "Content-Type": "application/json"},
                  timeout=T)
    assert r.status_code == 201
    assert sb.portal.requests[0].headers["Transfer-Encoding"] == "chunked"


def test_stop_ends_delays_and_idle_connections():
    sb = Sandbox().start()
    sb.portal.add_fault(Fault(delay=30))
    errors = []

    def call():
        try:
            requests.get(sb.url("portal") + "/slow", timeout=T)
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not sb.portal.requests:
        time.sleep(0.01)
    start = time.monotonic()
    sb.stop()
    caller.join(T)
    assert time.monotonic() - start < 3 and errors


def test_sandbox_package_does_not_use_the_hubs_own_code():
    package = REPO / "heze_hub" / "sandbox"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{source.name} imports from the hub"
                assert not (node.module or "").startswith("heze_hub"), source.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("heze_hub") for a in node.names), source.name


# ---------------------------------------------------------------------------------------------
# Configuration and the runner
# ---------------------------------------------------------------------------------------------
SECRET_VARS = ("HUB_CHANNELS__PORTAL__TOKEN", "HUB_CHANNELS__WECHAT__SECRET",
               "HUB_CHANNELS__WEIBO__ACCESS_TOKEN", "HUB_CHANNELS__CREDIT__API_KEY",
               "HUB_CHANNELS__HOTLINE__TOKEN")


def test_env_and_config_toml(sb):
    env = sb.env()
    assert set(env) == set(SECRET_VARS)
    text = sb.config_toml(public_url="https://xxgk.heze.gov.cn", output_dir="out")
    config = tomllib.loads(text)
    for secret in env.values():
        assert secret not in text
    assert config["hub"] == {"state_dir": ".hub-sandbox", "org_code": "11371700MB28581235",
                             "public_url": "https://xxgk.heze.gov.cn"}
    channels = config["channels"]
    assert channels["portal"] == {"plugin": "portal", "enabled": True, "mode": "http",
                                  "api_base": sb.url("portal")}
    assert channels["portal_static"]["mode"] == "static"
    assert channels["portal_static"]["output_dir"] == "out"
    assert channels["wechat"]["api_base"] == sb.url("wechat")
    assert channels["wechat"]["appid"] == "wx-sandbox-appid"
    assert channels["weibo"]["api_base"] == sb.url("weibo")
    assert channels["credit"]["api_base"] == sb.url("credit")
    assert channels["hotline"] == {"plugin": "hotline", "enabled": True,
                                   "api_base": sb.url("hotline")}
    assert channels["rss"]["max_entries"] == 200
    assert "xxgk.heze.gov.cn" in sb.weibo.safe_domains


def test_tiny_jpeg_is_a_cover_wechat_accepts(sb, http):
    data = tiny_jpeg()
    assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9" and len(data) < 64 * 1024
    token = wx_token(sb, http)["access_token"]
    assert "media_id" in wx_upload(sb, http, token, data)


def test_load_faults(tmp_path):
    path = tmp_path / "faults.toml"
    path.write_text('[[wechat]]\npath = "/cgi-bin/freepublish/submit"\ntimes = 1\n'
                    'body = { errcode = -1, errmsg = "system error" }\n\n'
                    '[[portal]]\npath = "/api/articles"\nstatus = 503\n'
                    'headers = { "Retry-After" = "1" }\ntimes = 2\n', encoding="utf-8")
    faults = load_faults(path)
    assert faults["wechat"][0].body == {"errcode": -1, "errmsg": "system error"}
    assert faults["portal"][0].headers == {"Retry-After": "1"} and faults["portal"][0].times == 2
    path.write_text('[[sms]]\nstatus = 500\n', encoding="utf-8")
    with pytest.raises(ValueError, match="sms"):
        load_faults(path)
    path.write_text('[[credit]]\nstatus = "five hundred"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="credit"):
        load_faults(path)
    assert main(["--faults", str(path), "--port", "0"]) == 2


def test_runner_serves_writes_config_and_stops(tmp_path):
    faults = tmp_path / "faults.toml"
    faults.write_text('[[portal]]\npath = "/api/articles"\nstatus = 503\ntimes = 1\n',
                      encoding="utf-8")
    config_path = tmp_path / "channels.sandbox.toml"
    out = io.StringIO()
    stop = threading.Event()
    runner = threading.Thread(target=serve, kwargs={
        "port": 0, "faults_file": faults, "config_path": config_path, "out": out,
        "stop": stop, "log_requests": False})
    runner.start()
    try:
        deadline = time.monotonic() + T
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        text = config_path.read_text(encoding="utf-8")
        config = tomllib.loads(text)
        assert config["hub"]["state_dir"] == ".hub-sandbox"
        assert set(config["channels"]) == {"portal", "portal_static", "rss", "wechat", "weibo",
                                           "credit", "hotline"}
        cover = Path(config["channels"]["wechat"]["cover"])
        assert cover.read_bytes() == tiny_jpeg()
        printed = out.getvalue()
        for var in SECRET_VARS:
            assert f"export {var}=" in printed
        assert "sandbox-wechat-secret" in printed and "sandbox-wechat-secret" not in text
        public = config["hub"]["public_url"]
        assert public == config["channels"]["portal"]["api_base"]
        (tmp_path / "public-sandbox" / "xxgk").mkdir(parents=True)
        (tmp_path / "public-sandbox" / "xxgk" / "1.html").write_text("页", encoding="utf-8")
        with requests.Session() as http:
            assert http.get(public + "/xxgk/1.html", timeout=T).text == "页"
            listed = http.get(public + "/_sandbox/faults", timeout=T).json()
            assert listed[0]["status"] == 503
            weibo = config["channels"]["weibo"]["api_base"]
            assert config["channels"]["weibo"]["rip"] == "127.0.0.1"
            r = http.post(weibo + SHARE, data={"access_token": "sandbox-weibo-token",
                                               "rip": config["channels"]["weibo"]["rip"],
                                               "status": "新闻 " + public + "/xxgk/1.html"},
                          timeout=T)
            assert r.status_code == 200
    finally:
        stop.set()
        runner.join(T)
    assert not runner.is_alive() and "沙盒已停止" in out.getvalue()
    assert not english_in(out.getvalue().split("export HUB_CONFIG")[0])


def test_runner_output_dir_is_taken_from_the_current_folder(tmp_path, monkeypatch):
    """``hub sandbox --config elsewhere/x.toml --output-dir site``: site is ./site, as every
    path typed on a command line is, not a folder beside the configuration."""
    monkeypatch.chdir(tmp_path)
    config_path = tmp_path / "elsewhere" / "x.toml"
    config_path.parent.mkdir()
    out = io.StringIO()
    stop = threading.Event()
    runner = threading.Thread(target=serve, kwargs={
        "port": 0, "config_path": config_path, "output_dir": "site", "out": out,
        "stop": stop, "log_requests": False})
    runner.start()
    try:
        deadline = time.monotonic() + T
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
        assert config["channels"]["portal_static"]["output_dir"] == str(tmp_path / "site")
        assert config["channels"]["rss"]["output_dir"] == str(tmp_path / "site")
    finally:
        stop.set()
        runner.join(T)
