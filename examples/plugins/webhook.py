"""A generic JSON webhook channel: the whole plugin an operator writes to add a channel.

Drop this file into the folder named by ``plugins_dir`` in ``channels.toml`` and add::

    [channels.notify]
    plugin = "webhook"
    url = "https://hooks.example.gov.cn/disclosure"

The secret comes from the environment: ``HUB_CHANNELS__NOTIFY__TOKEN``.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import SecretStr

from heze_hub.plugin import (
    Channel,
    ChannelSettings,
    DeliveryContext,
    NormalizedItem,
    PermanentError,
    PublishResult,
    TransientError,
    hookimpl,
    is_transient_status,
    retry_after_seconds,
)


class WebhookSettings(ChannelSettings):
    url: str
    token: SecretStr | None = None


class WebhookChannel(Channel):
    plugin_name = "webhook"
    title = "通用 JSON 推送"
    settings_model = WebhookSettings
    resend_safe = True  # the receiver deduplicates by Idempotency-Key
    optional_secrets = frozenset({"token"})

    def render(self, item: NormalizedItem) -> dict[str, object]:
        data = item.public_dict()
        data["url"] = self.hub.item_url(item.index_no)
        return data

    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        body = json.dumps(self.render(item), ensure_ascii=False).encode("utf-8")
        ctx.payload_sha256 = hashlib.sha256(body).hexdigest()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Idempotency-Key": ctx.idempotency_key}
        if self.settings.token is not None:
            headers["Authorization"] = f"Bearer {self.settings.token.get_secret_value()}"
        # A network failure is left to the core: it is retried as a transient error.
        resp = ctx.http.post(self.settings.url, body=body, headers=headers,
                             timeout=self.settings.timeout)
        if is_transient_status(resp.status):
            raise TransientError(f"接收方暂时不可用（HTTP {resp.status}）",
                                 retry_after=retry_after_seconds(resp.headers.get("Retry-After")))
        if resp.status >= 400:
            text = resp.data.decode("utf-8", "replace")[:200]
            raise PermanentError(f"接收方拒绝（HTTP {resp.status}）：{text}")
        answer = resp.json() if resp.data else {}
        return PublishResult(remote_id=answer.get("id"), url=answer.get("url"))


@hookimpl
def register_channels(register):
    register(WebhookChannel)
