"""All the fakes together, and the hub configuration that points at them."""

from __future__ import annotations

import json
import os
import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Fault, Service
from .credit import CreditService
from .hotline import HotlineService
from .portal_cms import PortalCMSService
from .wechat import WeChatService
from .weibo import SANDBOX_RIP, WeiboService

#: Order of the services; with a fixed base port they listen on port, port+1, port+2, ….
SERVICE_ORDER = ("portal", "wechat", "weibo", "credit", "hotline")
DEFAULT_ORG_CODE = "11371700MB28581235"  # 索引号 prefix used by the sandbox configuration
DEFAULT_OUTPUT_DIR = "public-sandbox"
DEFAULT_STATE_DIR = ".hub-sandbox"

FaultSpec = Fault | Mapping[str, Any]


class Sandbox:
    """The portal CMS, WeChat, Weibo, credit and 12345 hotline fakes on 127.0.0.1, each in its
    own thread.

    ``port=0`` (default) gives each an ephemeral port; a fixed ``port`` puts portal, wechat, weibo,
    credit and hotline on ``port`` … ``port + 4``. ``faults`` maps a service name to faults to start
    with. ``public_url``'s host becomes a Weibo safe domain. Use it as a context manager, or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 faults: Mapping[str, list[FaultSpec]] | None = None,
                 public_url: str | None = None, static_dir: str | Path | None = None) -> None:
        self.host = host
        self.port = port
        self.portal = PortalCMSService(static_dir=static_dir)
        self.wechat = WeChatService()
        self.weibo = WeiboService()
        self.credit = CreditService()
        self.hotline = HotlineService()
        self.services: dict[str, Service] = {
            "portal": self.portal, "wechat": self.wechat, "weibo": self.weibo,
            "credit": self.credit, "hotline": self.hotline,
        }
        if public_url:
            self.weibo.allow_domain(public_url)
        for name, specs in (faults or {}).items():
            service = self.service(name)
            for spec in specs:
                service.add_fault(spec)

    def service(self, name: str) -> Service:
        try:
            return self.services[name]
        except KeyError:
            raise KeyError(f"no sandbox service {name!r}; there are: "
                           + ", ".join(SERVICE_ORDER)) from None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Sandbox:
        try:
            for offset, name in enumerate(SERVICE_ORDER):
                self.services[name].start(self.host, self.port + offset if self.port else 0)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # In parallel: each server takes up to one poll interval to notice its shutdown.
        stoppers = [threading.Thread(target=s.stop) for s in self.services.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, name: str) -> str:
        """Base URL of a service: ``"portal"``, ``"wechat"``, ``"weibo"``, ``"credit"`` or
        ``"hotline"``."""
        return self.service(name).url

    def reset(self) -> None:
        """Forget every service's requests, faults and stored state."""
        for service in self.services.values():
            service.reset()

    # -- configuration -----------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The secrets the hub reads from the environment, matching these fakes."""
        return {
            "HUB_CHANNELS__PORTAL__TOKEN": self.portal.token,
            "HUB_CHANNELS__WECHAT__SECRET": self.wechat.secret,
            "HUB_CHANNELS__WEIBO__ACCESS_TOKEN": self.weibo.access_token,
            "HUB_CHANNELS__CREDIT__API_KEY": self.credit.api_key,
            "HUB_CHANNELS__HOTLINE__TOKEN": self.hotline.token,
        }

    def config_toml(self, public_url: str | None = None,
                    output_dir: str | os.PathLike[str] = DEFAULT_OUTPUT_DIR, *,
                    state_dir: str | os.PathLike[str] = DEFAULT_STATE_DIR,
                    org_code: str = DEFAULT_ORG_CODE,
                    cover: str | os.PathLike[str] | None = None) -> str:
        """A complete ``channels.toml`` pointing the hub at these fakes; no secrets in it.

        ``public_url`` defaults to the portal fake, which serves ``output_dir`` when its
        ``static_dir`` is set; its host is made a Weibo safe domain. ``cover`` is the image the
        WeChat channel uploads as its default cover (omitted when None).
        """
        public_url = public_url or self.url("portal")
        self.weibo.allow_domain(public_url)
        output = Path(output_dir)
        rss = {
            "plugin": "rss", "enabled": True, "output_dir": output.as_posix(),
            "max_entries": 200,
        }
        wechat: dict[str, Any] = {
            "plugin": "wechat", "enabled": True, "api_base": self.url("wechat"),
            "appid": self.wechat.appid, "author": "菏泽市人民政府",
        }
        if cover is not None:
            wechat["cover"] = Path(cover).as_posix()
        tables: list[tuple[str, dict[str, Any], str]] = [
            ("hub", {"state_dir": Path(state_dir).as_posix(), "org_code": org_code,
                     "public_url": public_url},
             "The hub's own state; the signing key and the SQLite database go in state_dir."),
            ("channels.portal", {"plugin": "portal", "enabled": True, "mode": "http",
                                 "api_base": self.url("portal")},
             "Portal CMS fake (mode http). Secret: HUB_CHANNELS__PORTAL__TOKEN."),
            ("channels.portal_static", {"plugin": "portal", "enabled": True, "mode": "static",
                                        "output_dir": output.as_posix()},
             "The static portal pages; the portal fake serves this directory at public_url."),
            ("channels.rss", rss, "RSS 2.0 and Atom feeds beside the pages: public_url/feed.xml."),
            ("channels.wechat", wechat,
             "WeChat official-account fake. Secret: HUB_CHANNELS__WECHAT__SECRET."),
            ("channels.weibo", {"plugin": "weibo", "enabled": True, "api_base": self.url("weibo"),
                                "rip": SANDBOX_RIP},
             "Weibo fake. Secret: HUB_CHANNELS__WEIBO__ACCESS_TOKEN. rip: this machine's public"
             " IP in production."),
            ("channels.hotline", {"plugin": "hotline", "enabled": True,
                                  "api_base": self.url("hotline")},
             "12345 hotline knowledge base fake: policies with their interpretations merged in. "
             "Secret: HUB_CHANNELS__HOTLINE__TOKEN."),
            ("channels.credit", {"plugin": "credit", "enabled": True,
                                 "api_base": self.url("credit")},
             "Credit platform fake (双公示). Secret: HUB_CHANNELS__CREDIT__API_KEY."),
        ]
        lines = [
            "# heze_hub configuration for the local sandbox, written by `hub sandbox`.",
            "# 本文件由 `hub sandbox` 生成：所有渠道都指向本机的模拟服务。",
            "# Secrets are not in this file; export them (see `hub sandbox` output):",
        ]
        lines += [f"#   export {name}=…" for name in self.env()]
        for table, values, comment in tables:
            lines += ["", f"# {comment}", f"[{table}]"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        text = "\n".join(lines) + "\n"
        tomllib.loads(text)  # never hand out a file the hub cannot read
        return text


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(str(value), ensure_ascii=False)
