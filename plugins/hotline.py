"""12345 政务服务热线 knowledge base: a policy with its interpretation merged in (DESIGN §5.6).

The seed asks that a policy and its interpretation reach the portal, the 12345 hotline and new
media *together*, so that the agent on the phone sees both. The knowledge base keeps one entry
per policy (``external_id`` = the policy's 索引号):

- a policy goes out with the latest interpretation the hub knows of it merged in:
  ``POST {api_base}/api/kb/articles`` with ``Idempotency-Key``; a later version of the policy
  updates its entry (``PUT /api/kb/articles/{id}``) instead of creating a second one;
- an interpretation is never sent alone. Once its policy is on the hotline, the interpretation's
  delivery updates the policy's entry (``PUT``, the same body with the interpretation in it) and
  its receipt names that entry. While the policy's own delivery is still running, the attempt is
  retried (``TransientError``). When the policy is not on the hotline at all (not published, not
  routed there, failed), the delivery is *deferred*: it stays ``pending`` with the reason and no
  receipt — nothing was sent — and the policy's entry, once it is published, already carries the
  interpretation; ``hub retry`` then records the interpretation's delivery against that entry.
  Deferred rather than skipped, because ``skipped`` would say the hotline never carries the
  interpretation, and it does, inside the policy's entry.

Both calls are safe to repeat: ``POST`` carries the idempotency key (a replay answers 200 with the
same id), ``PUT`` replaces the entry with the same body.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, SecretStr

from heze_hub.plugin import (
    Channel,
    ChannelSettings,
    Deferred,
    DeliveryContext,
    HttpClient,
    NormalizedItem,
    PermanentError,
    PublishResult,
    Response,
    TransientError,
    TransportError,
    canonical_json,
    hookimpl,
    is_bad_url,
    is_timeout,
    is_transient_status,
    retry_after_seconds,
    sha256_hex,
)

ARTICLES = "/api/kb/articles"
#: Kinds the knowledge base carries.
KINDS = ("policy", "interpretation")
#: What ``_send`` answers for a 404 when the entry may already be gone.
GONE = object()
#: Delivery states of the policy in which its entry is still on the way.
UNDER_WAY = ("pending", "publishing")


class HotlineSettings(ChannelSettings):
    """``[channels.hotline]``; the token comes from ``HUB_CHANNELS__HOTLINE__TOKEN``."""

    # Routing: policies and interpretations only (DESIGN §5.6), so that nothing else even
    # leaves a "skipped" receipt here.
    kinds: list[str] = Field(default_factory=lambda: list(KINDS))
    api_base: str = ""
    token: SecretStr | None = None


class HotlineChannel(Channel):
    """The 12345 hotline's knowledge base: one entry per policy, its interpretation inside."""

    plugin_name = "hotline"
    title = "12345政务服务热线知识库"
    settings_model = HotlineSettings
    # POST carries an idempotency key and PUT replaces: a resend never makes a second entry.
    resend_safe = True
    # Withdrawal (DESIGN §12): DELETE the policy's entry; an interpretation is taken out of it.
    can_withdraw = True

    settings: HotlineSettings

    # -- what it accepts -----------------------------------------------------------------------
    def accepts(self, item: NormalizedItem) -> str | None:
        if item.kind not in KINDS:
            return "12345热线知识库只收录政策文件及其解读"
        return None

    # -- render ---------------------------------------------------------------------------------
    def render(self, item: NormalizedItem) -> dict[str, Any]:
        """The entry that would be sent: the policy's, with its interpretation merged in."""
        if item.kind == "interpretation":
            policy = self._policy_of(item)
            if policy is None:
                return {"deferred": "所解读的政策尚未在本平台登记；解读不单独发送到热线"}
            return self.entry(policy, item)
        return self.entry(item, self._interpretation_of(item))

    def entry(
        self, policy: NormalizedItem, interpretation: NormalizedItem | None
    ) -> dict[str, Any]:
        """The knowledge-base article of ``policy``, with ``interpretation`` merged in."""
        return {
            "external_id": policy.index_no,
            "title": policy.title,
            "department": policy.department,
            "doc_number": policy.doc_number,
            "effective": True,
            "summary": policy.summary,
            "body_text": policy.body_text,
            "url": self.hub.item_url(policy.index_no),
            "interpretation": None if interpretation is None else {
                "index_no": interpretation.index_no,
                "title": interpretation.title,
                "url": self.hub.item_url(interpretation.index_no),
                "body_text": interpretation.body_text,
            },
            "keywords": list(policy.topics),
        }

    # -- publish --------------------------------------------------------------------------------
    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        if item.kind == "interpretation":
            return self._publish_interpretation(item, ctx)
        body = self.entry(item, self._interpretation_of(item))
        ctx.payload_sha256 = sha256_hex(canonical_json(body))
        entry_id = self._entry_id(item.index_no)
        if entry_id is not None:  # a new version of a policy already on the hotline
            self._send(ctx.http, "PUT", f"{ARTICLES}/{entry_id}", body)
            return PublishResult(remote_id=entry_id, note="更新热线知识库中已有的条目")
        answer = self._send(ctx.http, "POST", ARTICLES, body, key=ctx.idempotency_key)
        return PublishResult(remote_id=_entry_id_of(answer))

    def _publish_interpretation(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        policy = self._policy_of(item)
        if policy is None:
            raise Deferred(
                f"所解读的政策 {item.interprets} 尚未在本平台登记；解读不单独发送到12345热线，"
                "政策发布时将并入其条目，之后运行 hub retry 登记本投递"
            )
        entry_id = self._entry_id(policy.index_no)
        if entry_id is None:
            states = {d["status"] for d in self.hub.channel_deliveries(self.name, policy.index_no)}
            if states & set(UNDER_WAY):
                raise TransientError(f"政策 {policy.index_no} 正在发送到12345热线，稍后并入其条目")
            raise Deferred(
                f"政策 {policy.index_no} 尚未发布到12345热线；解读不单独发送，"
                "政策发布时将并入其条目，之后运行 hub retry 登记本投递"
            )
        body = self.entry(policy, item)
        ctx.payload_sha256 = sha256_hex(canonical_json(body))
        self._send(ctx.http, "PUT", f"{ARTICLES}/{entry_id}", body)
        return PublishResult(remote_id=entry_id,
                             note=f"已并入政策 {policy.index_no} 的热线知识库条目")

    # -- withdraw -------------------------------------------------------------------------------
    def withdraw(
        self, item: NormalizedItem, withdrawal: Any, ctx: DeliveryContext
    ) -> PublishResult:
        """Take ``item`` off the hotline (DESIGN §12): a policy's entry is deleted; an
        interpretation is removed from its policy's entry (``PUT`` with the policy's other
        interpretation, if any). An entry already gone (404) counts as withdrawn."""
        if item.kind != "interpretation":
            entry_id = getattr(withdrawal, "remote_id", None) or self._entry_id(item.index_no)
            if entry_id is None:
                return PublishResult(note="热线知识库中没有该条目，视为已撤回")
            gone = self._delete(ctx.http, str(entry_id))
            return PublishResult(remote_id=str(entry_id),
                                 note="条目已不存在，视为已撤回" if gone else "已从热线知识库删除")
        policy = self._policy_of(item)
        entry_id = self._entry_id(policy.index_no) if policy else None
        if policy is None or entry_id is None:
            return PublishResult(note="所解读政策的热线条目不存在，视为已撤回")
        others = [i for i in self.hub.latest_of_kind("interpretation")
                  if i.index_no != item.index_no
                  and i.interprets in {policy.index_no, policy.doc_number} - {None}]
        rest = max(others, key=lambda i: (i.published_at, i.index_no)) if others else None
        body = self.entry(policy, rest)
        ctx.payload_sha256 = sha256_hex(canonical_json(body))
        if self._send(ctx.http, "PUT", f"{ARTICLES}/{entry_id}", body, missing_ok=True) is GONE:
            return PublishResult(remote_id=entry_id, note="政策条目已不存在，视为已撤回")
        return PublishResult(remote_id=entry_id,
                             note=f"已从政策 {policy.index_no} 的热线知识库条目中撤下解读")

    def _delete(self, http: HttpClient, entry_id: str) -> bool:
        """DELETE one entry; True if it was already gone."""
        return self._send(http, "DELETE", f"{ARTICLES}/{entry_id}", None, missing_ok=True) is GONE

    # -- health ---------------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        """The token and a usable ``api_base``."""
        problems = super().configuration_problems()
        if not self.settings.api_base.startswith(("https://", "http://")):
            problems.append("缺少热线知识库接口地址 api_base（例如 https://12345.example.gov.cn）")
        return problems

    # -- what the hub knows -------------------------------------------------------------------
    def _entry_id(self, index_no: str) -> str | None:
        """The knowledge-base id of an item's entry, from its latest published delivery here."""
        for d in self.hub.channel_deliveries(self.name, index_no):
            if d["status"] == "published" and d["remote_id"]:
                return str(d["remote_id"])
        return None

    def _policy_of(self, interpretation: NormalizedItem) -> NormalizedItem | None:
        """The item an interpretation explains: by 索引号 first, else by 文号."""
        ref = interpretation.interprets
        if not ref:
            return None
        found = self.hub.latest_item(ref)
        if found is not None:
            return found
        return next((p for p in reversed(self.hub.latest_of_kind("policy"))
                     if p.doc_number == ref), None)

    def _interpretation_of(self, policy: NormalizedItem) -> NormalizedItem | None:
        """The newest interpretation the hub knows of ``policy``."""
        refs = {policy.index_no, policy.doc_number} - {None}
        found = [i for i in self.hub.latest_of_kind("interpretation") if i.interprets in refs]
        return max(found, key=lambda i: (i.published_at, i.index_no)) if found else None

    # -- the wire -------------------------------------------------------------------------------
    def _send(self, http: HttpClient, method: str, path: str, body: dict[str, Any] | None, *,
              key: str | None = None, missing_ok: bool = False) -> Any:
        """One JSON call; a typed error for every failure, without the token in it.

        With ``missing_ok`` a 404 returns :data:`GONE` (withdrawing what is already gone)."""
        token = self.settings.token.get_secret_value() if self.settings.token else ""
        headers = {"Authorization": f"Bearer {token}",
                   "Content-Type": "application/json; charset=utf-8"}
        if key:
            headers["Idempotency-Key"] = key
        url = self.settings.api_base.rstrip("/") + path
        error: Exception
        try:
            response = http.request(
                method, url,
                body=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
                headers=headers, timeout=self.settings.timeout,
            )
        except TransportError as exc:
            if is_bad_url(exc):
                error = PermanentError(f"热线接口地址 api_base 无效：{self.settings.api_base}")
            elif is_timeout(exc):
                error = TransientError(f"热线接口请求超时（{type(exc).__name__}）")
            else:
                error = TransientError(f"热线接口连接失败（{type(exc).__name__}）")
            raise error from None
        if response.status in (200, 201, 204):
            return _json(response)
        if missing_ok and response.status == 404:
            return GONE
        raise _http_error(response)


def _entry_id_of(answer: Any) -> str:
    if isinstance(answer, dict) and answer.get("id") not in (None, ""):
        return str(answer["id"])
    # The POST carried an idempotency key: a resend gets the same entry's id back.
    raise TransientError("热线接口应答中没有条目 id，稍后重试")


def _json(response: Response) -> Any:
    try:
        return json.loads(response.data)
    except ValueError:
        return None


def _http_error(response: Response) -> Exception:
    answer = _json(response)
    reason = answer.get("error") if isinstance(answer, dict) else None
    detail = f"HTTP {response.status}" + (f"：{str(reason)[:200]}" if reason else "")
    if is_transient_status(response.status):
        return TransientError(f"热线接口暂时不可用（{detail}）",
                              retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if response.status == 401:
        return PermanentError(f"热线接口拒绝了令牌，请检查 token（{detail}）")
    return PermanentError(f"热线知识库拒绝了条目（{detail}）")


@hookimpl
def register_channels(register):
    register(HotlineChannel)
