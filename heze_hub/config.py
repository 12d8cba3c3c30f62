"""Configuration (DESIGN §8): ``channels.toml`` plus ``HUB_…`` environment overrides.

The file holds the hub's settings and one table per channel; secrets come from the environment
only. Channel tables stay raw dictionaries here and are validated against their plugin's own
settings model once the plugins are loaded (:func:`heze_hub.delivery.registry.build_channels`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from heze_hub.errors import (
    ConfigError,
    describe_os_error,
    describe_setting_error,
    describe_toml_error,
)

DEFAULT_CONFIG_NAME = "channels.toml"


class HubSection(BaseModel):
    """The ``[hub]`` table."""

    model_config = ConfigDict(extra="forbid")

    state_dir: Path = Path(".hub")
    database_url: str | None = None
    org_code: str = Field("371700", min_length=1, max_length=40, pattern=r"^[0-9A-Za-z-]+$")
    public_url: str = "http://localhost:8000"
    #: The organisation the portal belongs to, shown in its header, footer and <title>.
    name: str = Field("", max_length=60)
    #: 政府网站标识码 (the national government-website identifier), shown in the footer.
    site_code: str = Field("", max_length=20, pattern=r"^[0-9A-Za-z]*$")
    plugins_dir: Path | None = None
    signing_key: Path | None = None
    #: Origin line of the receipt log's checkpoints; default ``heze-hub/<org_code>``.
    log_origin: str | None = None


class HubSettings(BaseSettings):
    """Everything ``channels.toml`` and the environment say, channel tables still raw."""

    model_config = SettingsConfigDict(
        env_prefix="HUB_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    hub: HubSection = Field(default_factory=HubSection)
    channels: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment comes before the file so that HUB_… wins (DESIGN §11). The file is
        # parsed by load_config and passed as init values rather than through
        # TomlConfigSettingsSource, which rereads it and chokes on a UTF-8 BOM.
        return (env_settings, init_settings)


def resolve_path(p: Path | str, base: Path | str) -> Path:
    """A path as configured: ``~`` expanded, a relative path taken from ``base`` (the config
    file's folder; channels get it as ``HubInfo.config_dir``)."""
    p = Path(p).expanduser()
    return p if p.is_absolute() else Path(base) / p


class Config:
    """Loaded configuration: settings, where they came from, and resolved paths."""

    def __init__(
        self, settings: HubSettings, path: Path | None,
        file_tables: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.path = path
        #: The channel tables exactly as the file wrote them, before the environment merged in;
        #: used to refuse secrets written into the file.
        self.file_tables = file_tables or {}
        self.base_dir = (path.parent if path else Path.cwd()).resolve()

    @property
    def hub(self) -> HubSection:
        return self.settings.hub

    def resolve(self, p: Path | str) -> Path:
        """A path from the configuration, relative paths taken from the config file's folder."""
        return resolve_path(p, self.base_dir)

    @property
    def state_dir(self) -> Path:
        return self.resolve(self.hub.state_dir)

    @property
    def database_url(self) -> str:
        return self.hub.database_url or f"sqlite:///{self.state_dir / 'hub.db'}"

    @property
    def signing_key_path(self) -> Path:
        return (
            self.resolve(self.hub.signing_key)
            if self.hub.signing_key
            else (self.state_dir / "keys" / "hub.key")
        )

    @property
    def log_origin(self) -> str:
        return self.hub.log_origin or f"heze-hub/{self.hub.org_code}"


def find_config(explicit: str | None, start: Path | None = None) -> Path | None:
    """``--config`` first, then ``HUB_CONFIG``, then the nearest ``channels.toml`` in the
    current folder or a folder above it (as git finds ``.git``), so that a command run from a
    subfolder works on the same hub instead of starting a second one."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"配置文件不存在：{explicit}")
        return path
    env = os.environ.get("HUB_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"配置文件不存在：{env}（来自环境变量 HUB_CONFIG）")
        return path
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def no_config_message(start: Path | None = None) -> str:
    """What to do when no configuration file was found (the hub never guesses one)."""
    here = (start or Path.cwd()).absolute()
    return (
        f"找不到配置文件 {DEFAULT_CONFIG_NAME}（已在 {here} 及其上级目录中查找）。"
        f"请在本单位的发布目录中运行 hub init 生成一个带说明的 {DEFAULT_CONFIG_NAME}，"
        "或用 --config 指定配置文件（也可设置环境变量 HUB_CONFIG）"
    )


def load_config(explicit: str | None = None) -> Config:
    """Load the configuration, or raise :class:`ConfigError` with a message naming file and key."""
    path = find_config(explicit)
    if path is None:
        raise ConfigError(no_config_message())
    path = path.absolute()
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}：不是 UTF-8 编码（第 {exc.start} 字节处无法解码）；请以 UTF-8 保存后重试"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        reason, line, col = describe_toml_error(exc)
        at = f"第 {line} 行第 {col} 列：" if line is not None else ""
        raise ConfigError(f"{path}：不是有效的 TOML 文件（{at}{reason}）") from None
    except OSError as exc:
        raise ConfigError(f"{path}：无法读取（{describe_os_error(exc)}）") from None
    where = path
    try:
        # The parsed file is passed as init values, below the environment (see the sources).
        settings = HubSettings(**raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}：{describe_setting_error(e)}"
                 for e in exc.errors()]
        raise ConfigError(f"{where}：配置有误\n" + "\n".join(lines)) from None
    declared = raw.get("channels") or {}
    env_only = sorted(set(settings.channels) - set(declared))
    if env_only:
        # An environment variable (say a token) must never switch on a channel by itself.
        name = env_only[0]
        prefix = f"HUB_CHANNELS__{name.upper()}__"
        variables = sorted(k for k in os.environ if k.upper().startswith(prefix)) or [prefix + "…"]
        raise ConfigError(
            f"{where}：环境变量 {'、'.join(variables)} 为渠道 {name} 提供了设置，"
            f"但配置文件中没有 [channels.{name}]；请先在配置文件中声明该渠道"
        )
    return Config(settings, path.resolve(), declared)
