"""Plugin loading and channel construction, with throwaway plugins written to tmp_path."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from heze_hub.config import load_config
from heze_hub.delivery.channel import Channel, ChannelSettings, HubInfo
from heze_hub.delivery.registry import Plugins, PluginWarning, build_channels, load_plugins
from heze_hub.errors import ConfigError

DEMO = '''
from pydantic import Field, SecretStr

from heze_hub.plugin import hookimpl
from heze_hub.delivery.channel import Channel, ChannelSettings, PublishResult


class DemoSettings(ChannelSettings):
    greeting: str = "你好"
    limit: int = Field(10, ge=1)
    token: SecretStr | None = None
    webhook_signing_key: SecretStr | None = None


class DemoChannel(Channel):
    plugin_name = "{name}"
    title = "演示渠道"
    settings_model = DemoSettings

    def render(self, item):
        return {{"greeting": self.settings.greeting, "title": item.title}}

    def publish(self, item, ctx):
        return PublishResult(remote_id="1")


@hookimpl
def register_channels(register):
    register(DemoChannel)
'''


def plugin_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def quiet_load(folder: Path | None) -> Plugins:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        return load_plugins(folder, entry_point_group=None)


def hub_info(tmp_path: Path) -> HubInfo:
    return HubInfo(
        public_url="https://www.heze.gov.cn",
        state_dir=tmp_path / ".hub",
        config_dir=tmp_path,
        org_code="371700",
    )


# --- loading ------------------------------------------------------------------------------------
def test_plugin_from_plugins_dir(tmp_path: Path) -> None:
    folder = plugin_dir(tmp_path, {"demo.py": DEMO.format(name="demo")})
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)
        plugins = load_plugins(folder, entry_point_group=None)
    assert set(plugins.channel_types) == {"demo"}
    channel_type = plugins.channel_types["demo"]
    assert issubclass(channel_type, Channel)
    assert channel_type.title == "演示渠道"
    assert plugins.problems == []
    assert plugins.manager.get_plugin("file:demo") is not None


def test_no_plugins_at_all(tmp_path: Path) -> None:
    plugins = load_plugins(None, entry_point_group=None)
    assert plugins.channel_types == {} and plugins.problems == []


def test_broken_plugin_warns_and_others_load(tmp_path: Path) -> None:
    folder = plugin_dir(
        tmp_path,
        {
            "a_broken.py": "raise RuntimeError('插件坏了')\n",
            "b_demo.py": DEMO.format(name="demo"),
            "c_syntax.py": "def oops(:\n",
        },
    )
    with pytest.warns(PluginWarning) as record:
        plugins = load_plugins(folder, entry_point_group=None)
    messages = [str(w.message) for w in record]
    assert any("a_broken" in m and "插件坏了" in m for m in messages), messages
    assert any("c_syntax" in m and "SyntaxError" in m for m in messages), messages
    assert set(plugins.channel_types) == {"demo"}
    assert len(plugins.problems) == 2


def test_plugin_whose_hook_raises_warns_and_others_load(tmp_path: Path) -> None:
    # A plugin can import cleanly and still be broken when its hook runs; like a failed import,
    # that must be a warning, not a crash of every command.
    hook_raises = """
        from heze_hub.plugin import hookimpl

        @hookimpl
        def register_channels(register):
            raise RuntimeError("注册时出错")
    """
    folder = plugin_dir(
        tmp_path, {"a_hook.py": hook_raises, "b_demo.py": DEMO.format(name="demo")}
    )
    with pytest.warns(PluginWarning, match="注册时出错"):
        plugins = load_plugins(folder, entry_point_group=None)
    assert set(plugins.channel_types) == {"demo"}


def test_misspelled_hook_warns(tmp_path: Path) -> None:
    typo = """
        from heze_hub.plugin import hookimpl

        @hookimpl
        def register_channel(register):
            pass
    """
    folder = plugin_dir(tmp_path, {"typo.py": typo, "demo.py": DEMO.format(name="demo")})
    with pytest.warns(PluginWarning, match="register_channel"):
        plugins = load_plugins(folder, entry_point_group=None)
    assert "demo" in plugins.channel_types


def test_private_files_are_not_plugins(tmp_path: Path) -> None:
    folder = plugin_dir(
        tmp_path,
        {"_helpers.py": "raise RuntimeError('never imported')\n",
         "demo.py": DEMO.format(name="demo")},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)
        plugins = load_plugins(folder, entry_point_group=None)
    assert set(plugins.channel_types) == {"demo"}


def test_missing_plugins_dir_warns(tmp_path: Path) -> None:
    with pytest.warns(PluginWarning, match="插件目录不存在"):
        plugins = load_plugins(tmp_path / "nope", entry_point_group=None)
    assert plugins.channel_types == {}


def test_duplicate_plugin_name_keeps_the_first(tmp_path: Path) -> None:
    folder = plugin_dir(
        tmp_path,
        {"a_demo.py": DEMO.format(name="demo"),
         "b_demo.py": DEMO.format(name="demo").replace("演示渠道", "第二个")},
    )
    with pytest.warns(PluginWarning, match="重复注册"):
        plugins = load_plugins(folder, entry_point_group=None)
    assert list(plugins.channel_types) == ["demo"]


def test_registering_a_non_channel_warns(tmp_path: Path) -> None:
    wrong = """
        from heze_hub.plugin import hookimpl

        @hookimpl
        def register_channels(register):
            register(dict)
    """
    folder = plugin_dir(tmp_path, {"wrong.py": wrong, "demo.py": DEMO.format(name="demo")})
    with pytest.warns(PluginWarning, match="Channel"):
        plugins = load_plugins(folder, entry_point_group=None)
    assert set(plugins.channel_types) == {"demo"}


def test_one_plugin_several_channel_types(tmp_path: Path) -> None:
    folder = plugin_dir(
        tmp_path, {"one.py": DEMO.format(name="demo"), "two.py": DEMO.format(name="demo2")}
    )
    plugins = quiet_load(folder)
    assert set(plugins.channel_types) == {"demo", "demo2"}


# --- building channels --------------------------------------------------------------------------
@pytest.fixture
def demo_plugins(tmp_path: Path) -> Plugins:
    return quiet_load(plugin_dir(tmp_path, {"demo.py": DEMO.format(name="demo")}))


def test_build_channels(demo_plugins: Plugins, tmp_path: Path) -> None:
    hub = hub_info(tmp_path)
    channels = build_channels(demo_plugins, {"demo": {"greeting": "您好"}}, hub, "channels.toml")
    channel = channels["demo"]
    assert isinstance(channel, demo_plugins.channel_types["demo"])
    assert channel.name == "demo"
    assert channel.settings.greeting == "您好"
    assert channel.settings.enabled is True
    assert channel.hub is hub


def test_unknown_plugin_is_a_config_error(demo_plugins: Plugins, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        build_channels(
            demo_plugins, {"site": {"plugin": "nosuch"}}, hub_info(tmp_path), "/etc/hub.toml"
        )
    message = str(info.value)
    assert "[channels.site]" in message and "nosuch" in message
    assert "/etc/hub.toml" in message
    assert "demo" in message  # what is installed


def test_table_name_is_the_default_plugin(demo_plugins: Plugins, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[channels\.wechat\]"):
        build_channels(demo_plugins, {"wechat": {}}, hub_info(tmp_path), "channels.toml")


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"greting": "你好"}, "greting"),
        ({"limit": 0}, "limit"),
        ({"limit": "很多"}, "limit"),
        ({"kinds": "policy"}, "kinds"),
        ({"retry": {"max_attempts": 0}}, "max_attempts"),
        ({"retry": {"max_attempt": 3}}, "max_attempt"),
    ],
)
def test_bad_channel_setting(
    demo_plugins: Plugins, tmp_path: Path, table: dict, key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        build_channels(
            demo_plugins, {"mine": {"plugin": "demo", **table}}, hub_info(tmp_path),
            "channels.toml",
        )
    message = str(info.value)
    assert "[channels.mine]" in message and key in message and "channels.toml" in message


def test_disabled_channel_is_validated_too(demo_plugins: Plugins, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="limit"):
        build_channels(
            demo_plugins, {"demo": {"enabled": False, "limit": -1}}, hub_info(tmp_path), "x"
        )


def test_several_channels_on_one_plugin(demo_plugins: Plugins, tmp_path: Path) -> None:
    tables = {
        "county_a": {"plugin": "demo", "greeting": "曹县", "kinds": ["policy"]},
        "county_b": {"plugin": "demo", "greeting": "单县", "enabled": False,
                     "retry": {"max_attempts": 2}},
        "demo": {},
    }
    channels = build_channels(demo_plugins, tables, hub_info(tmp_path), "channels.toml")
    assert list(channels) == ["county_a", "county_b", "demo"]
    a, b, c = channels["county_a"], channels["county_b"], channels["demo"]
    assert type(a) is type(b) is type(c)
    assert (a.name, a.settings.greeting, a.settings.kinds) == ("county_a", "曹县", ["policy"])
    assert (b.name, b.settings.greeting, b.settings.enabled) == ("county_b", "单县", False)
    assert b.settings.retry.max_attempts == 2 and a.settings.retry.max_attempts == 5
    assert c.settings.greeting == "你好"
    assert a.settings is not b.settings


# --- secrets ------------------------------------------------------------------------------------
CONFIG = """\
[hub]
org_code = "371700"

[channels.county_a]
plugin = "demo"
greeting = "曹县"
"""


@pytest.mark.parametrize("key", ["token", "webhook_signing_key"])
def test_secret_written_in_the_file_refused(
    demo_plugins: Plugins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    # webhook_signing_key is a secret only because the plugin's settings model says so.
    path = tmp_path / "channels.toml"
    path.write_text(CONFIG + f'{key} = "written-in-the-file"\n', encoding="utf-8")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    config = load_config(str(path))
    with pytest.raises(ConfigError) as info:
        build_channels(
            demo_plugins, config.settings.channels, hub_info(tmp_path), str(path),
            config.file_tables,
        )
    message = str(info.value)
    assert f"HUB_CHANNELS__COUNTY_A__{key.upper()}" in message
    assert "[channels.county_a]" in message and str(path) in message
    assert "written-in-the-file" not in message


def test_secret_from_the_environment_accepted(
    demo_plugins: Plugins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "channels.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.setenv("HUB_CHANNELS__COUNTY_A__TOKEN", "from-the-environment")
    config = load_config(str(path))
    channels = build_channels(
        demo_plugins, config.settings.channels, hub_info(tmp_path), str(path), config.file_tables
    )
    settings = channels["county_a"].settings
    assert settings.token.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in repr(settings) and "from-the-environment" not in str(
        settings
    )
    assert channels["county_a"].configuration_problems() != []  # webhook_signing_key missing


def test_missing_secret_is_a_configuration_problem(demo_plugins: Plugins, tmp_path: Path) -> None:
    channel = build_channels(demo_plugins, {"demo": {}}, hub_info(tmp_path), "x")["demo"]
    problems = channel.configuration_problems()
    assert any("HUB_CHANNELS__DEMO__TOKEN" in p for p in problems)


def test_base_settings_have_no_secrets() -> None:
    assert ChannelSettings().secret_fields() == []
