"""Routing (DESIGN §6): which configured channels an item goes to."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from heze_hub.delivery.channel import Channel, ChannelSettings, HubInfo, PublishResult
from heze_hub.delivery.routing import matches, route
from heze_hub.errors import InputError
from heze_hub.items.model import NormalizedItem

TZ = ZoneInfo("Asia/Shanghai")
HUB = HubInfo(public_url="https://www.heze.gov.cn", state_dir=Path("/nonexistent/.hub"),
              config_dir=Path("/nonexistent"), org_code="371700")


class Probe(Channel):
    plugin_name = "probe"

    def render(self, item: NormalizedItem) -> Any:
        return {}

    def publish(self, item: NormalizedItem, ctx: Any) -> PublishResult:  # pragma: no cover
        raise AssertionError("routing never publishes")


def channels(**tables: dict[str, Any]) -> dict[str, Channel]:
    return {name: Probe(name, ChannelSettings(**t), HUB) for name, t in tables.items()}


def item(**fields: Any) -> NormalizedItem:
    base: dict[str, Any] = dict(
        index_no="371700/2018-00001", version=1, published_at=datetime(2018, 7, 1, tzinfo=TZ),
        content_sha256="0" * 64, title="菏泽市2018年6月环境空气质量状况",
        department="菏泽市环境保护局", written_on=date(2018, 7, 6), kind="statistics",
        category="result", topics=("环境保护", "空气质量"), summary="6月全市空气质量优良天数18天。",
        body_html="<p>正文</p>", body_text="正文", source="/srv/items/09.md",
    )
    base.update(fields)
    return NormalizedItem(**base)


# --- routing keys -------------------------------------------------------------------------------
def test_empty_keys_take_everything() -> None:
    chs = channels(portal={}, rss={})
    assert route(chs, item()) == ["portal", "rss"]


@pytest.mark.parametrize(
    ("table", "fields", "expected"),
    [
        ({"kinds": ["statistics"]}, {}, True),
        ({"kinds": ["policy", "interpretation"]}, {}, False),
        ({"categories": ["result"]}, {}, True),
        ({"categories": ["decision"]}, {}, False),
        ({"topics": ["空气质量", "教育"]}, {}, True),  # any topic in common
        ({"topics": ["教育"]}, {}, False),
        ({"topics": ["教育"]}, {"topics": ()}, False),
        ({"departments": ["菏泽市环境保护局"]}, {}, True),
        ({"departments": ["菏泽市教育局"]}, {}, False),
        # Every non-empty key must match.
        ({"kinds": ["statistics"], "topics": ["环境保护"]}, {}, True),
        ({"kinds": ["statistics"], "topics": ["教育"]}, {}, False),
        ({"kinds": ["penalty", "license"], "categories": ["result"]},
         {"kind": "penalty"}, True),
        ({"kinds": ["penalty", "license"], "categories": ["result"]},
         {"kind": "penalty", "category": "execution"}, False),
    ],
)
def test_routing_keys(table: dict[str, Any], fields: dict[str, Any], expected: bool) -> None:
    chs = channels(ch=table)
    it = item(**fields)
    assert matches(chs["ch"], it) is expected
    assert route(chs, it) == (["ch"] if expected else [])


def test_configuration_order_kept() -> None:
    chs = channels(weibo={}, portal={}, credit={"kinds": ["penalty"]}, rss={})
    assert route(chs, item()) == ["weibo", "portal", "rss"]


def test_disabled_channels_never_routed() -> None:
    chs = channels(portal={}, weibo={"enabled": False}, rss={"enabled": False, "kinds": []})
    assert route(chs, item()) == ["portal"]
    assert route(chs, item(), only=("weibo",)) == []


# --- explicit channels --------------------------------------------------------------------------
def test_explicit_channels_override_routing() -> None:
    chs = channels(portal={"kinds": ["policy"]}, rss={}, weibo={"topics": ["教育"]})
    # Routing alone would send it to rss only; the item's own list wins, in config order.
    assert route(chs, item()) == ["rss"]
    assert route(chs, item(channels=("weibo", "portal"))) == ["portal", "weibo"]


def test_unknown_explicit_channel_refused() -> None:
    chs = channels(portal={}, rss={})
    with pytest.raises(InputError) as info:
        route(chs, item(channels=("portal", "wechat")))
    err = info.value
    assert err.field == "channels" and err.file == "/srv/items/09.md"
    message = str(err)
    assert "wechat" in message and "/srv/items/09.md" in message and "channels" in message
    assert "portal" in message  # what is available


def test_explicit_disabled_channel_refused() -> None:
    chs = channels(portal={}, weibo={"enabled": False})
    with pytest.raises(InputError, match="weibo"):
        route(chs, item(channels=("weibo",)))


# --- only (--channel) ---------------------------------------------------------------------------
def test_only_narrows() -> None:
    chs = channels(portal={}, rss={}, weibo={})
    assert route(chs, item(), only=("rss", "weibo")) == ["rss", "weibo"]


def test_only_never_widens() -> None:
    chs = channels(portal={}, credit={"kinds": ["penalty"]})
    assert route(chs, item(), only=("credit",)) == []


def test_only_narrows_explicit_channels() -> None:
    chs = channels(portal={}, rss={}, weibo={})
    assert route(chs, item(channels=("portal", "weibo")), only=("weibo", "rss")) == ["weibo"]


def test_no_channels_configured() -> None:
    assert route({}, item()) == []
    with pytest.raises(InputError, match="（无）"):
        route({}, item(channels=("portal",)))
