"""Plugin loading and channel construction.

Built-in channels are registered exactly like outside ones, through the ``heze_hub`` entry-point
group; modules in ``plugins_dir`` are loaded too. A plugin that fails to load is a warning.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import warnings
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pydantic import ValidationError

from heze_hub.delivery import hookspecs
from heze_hub.delivery.channel import Channel, HubInfo
from heze_hub.errors import ConfigError, describe_setting_error

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "heze_hub"


class PluginWarning(UserWarning):
    """A plugin could not be loaded; the hub goes on without it."""


@dataclass
class Plugins:
    """The loaded plugin manager and the channel types the plugins registered."""

    manager: pluggy.PluginManager
    channel_types: dict[str, type[Channel]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # plugin_name -> where it came from
    problems: list[str] = field(default_factory=list)


def load_plugins(
    plugins_dir: Path | None = None, *, entry_point_group: str | None = ENTRY_POINT_GROUP
) -> Plugins:
    """Load plugins from the entry-point group and ``plugins_dir`` and collect channel types.

    Called once per process, after which hooks are only called, never registered (pluggy is not
    thread-safe while registering).
    """
    pm = pluggy.PluginManager("heze_hub")
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm)

    if entry_point_group:
        for ep in entry_points(group=entry_point_group):
            _register(plugins, ep.name, f"entry point {ep.value}", ep.load)
    if plugins_dir is not None:
        if not plugins_dir.is_dir():
            _warn(plugins, f"插件目录不存在：{plugins_dir}")
        else:
            for path in sorted(plugins_dir.glob("*.py")):
                if not path.name.startswith("_"):
                    _register(
                        plugins, f"file:{path.stem}", str(path), lambda p=path: _import_file(p)
                    )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        _warn(plugins, f"插件钩子名称有误：{exc}")

    def register(channel_type: type[Channel]) -> None:
        if not (isinstance(channel_type, type) and issubclass(channel_type, Channel)):
            _warn(plugins, f"插件注册的对象不是 Channel 子类：{channel_type!r}")
            return
        name = channel_type.plugin_name
        if not name:
            _warn(plugins, f"渠道类 {channel_type.__name__} 没有 plugin_name")
            return
        if name in plugins.channel_types:
            _warn(plugins, f"渠道插件 {name} 重复注册，保留先注册的一个")
            return
        plugins.channel_types[name] = channel_type
        plugins.sources[name] = channel_type.__module__

    # Each implementation is called on its own, so one that raises is a warning, not a crash.
    for impl in pm.hook.register_channels.get_hookimpls():
        try:
            impl.function(register=register)
        except Exception as exc:
            _warn(plugins, f"插件 {impl.plugin_name} 注册渠道时出错：{type(exc).__name__}: {exc}")
            pm.unregister(impl.plugin)
    return plugins


def _import_file(path: Path) -> ModuleType:
    name = f"heze_hub_local_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _register(plugins: Plugins, name: str, where: str, load: object) -> None:
    try:
        module = load()  # type: ignore[operator]
        if plugins.manager.is_registered(module):
            return
        plugins.manager.register(module, name=name)
    except Exception as exc:  # a broken plugin must never take the hub down
        _warn(plugins, f"插件 {name} 加载失败（{where}）：{type(exc).__name__}: {exc}")


def _warn(plugins: Plugins, message: str) -> None:
    plugins.problems.append(message)
    warnings.warn(message, PluginWarning, stacklevel=3)
    log.warning(message)


def build_channels(
    plugins: Plugins,
    tables: dict[str, dict[str, object]],
    hub: HubInfo,
    source: str,
    file_tables: dict[str, Any] | None = None,
) -> dict[str, Channel]:
    """Validate each ``[channels.NAME]`` table against its plugin's settings model.

    Disabled channels are validated too, so a typo is found before it is switched on. A secret
    written into the configuration file itself (``file_tables``) is refused: secrets come from
    the environment only.
    """
    channels: dict[str, Channel] = {}
    for name, table in tables.items():
        plugin_name = str(table.get("plugin") or name)
        channel_type = plugins.channel_types.get(plugin_name)
        if channel_type is None:
            known = "、".join(sorted(plugins.channel_types)) or "（无）"
            raise ConfigError(
                f"{source}：[channels.{name}] 使用的插件 {plugin_name} 未安装；已安装：{known}"
            )
        try:
            settings = channel_type.settings_model.model_validate(table)
        except ValidationError as exc:
            lines = [
                f"  [channels.{name}] {'.'.join(str(p) for p in e['loc'])}："
                f"{describe_setting_error(e)}"
                for e in exc.errors()
            ]
            raise ConfigError(f"{source}：渠道配置有误\n" + "\n".join(lines)) from None
        in_file = set((file_tables or {}).get(name) or {}) & set(settings.secret_fields())
        if in_file:
            key = sorted(in_file)[0]
            env = f"HUB_CHANNELS__{name.upper()}__{key.upper()}"
            raise ConfigError(
                f"{source}：[channels.{name}] 中不得写入密钥 {key}；请通过环境变量 {env} 提供"
            )
        channels[name] = channel_type(name, settings, hub)
    return channels
