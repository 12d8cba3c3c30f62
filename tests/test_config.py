"""Configuration (DESIGN §8): channels.toml, --config, HUB_CONFIG and HUB_… overrides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heze_hub.config import find_config, load_config
from heze_hub.errors import ConfigError

CONFIG = """\
[hub]
org_code = "MB2858123"
state_dir = "state"
public_url = "https://www.heze.gov.cn"

[channels.portal_b]
plugin = "portal"
mode = "http"
api_base = "https://cms.heze.gov.cn"
kinds = ["policy", "interpretation"]

[channels.rss]
max_entries = 50
"""

MINIMAL = '[channels.portal]\nmode = "static"\n\n[channels.rss]\n'


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No HUB_… variable from the outside; the current folder is an empty tmp folder."""
    for key in list(os.environ):
        if key.upper().startswith("HUB_"):
            monkeypatch.delenv(key)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def write(path: Path, text: str = CONFIG) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- where the configuration comes from ---------------------------------------------------------
def test_no_file_is_an_error_pointing_to_hub_init(clean_env: Path) -> None:
    """No channels.toml anywhere up the tree: the hub says so instead of guessing a second hub."""
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert "hub init" in message and str(clean_env) in message
    assert not (clean_env / ".hub").exists()


def test_walks_up_to_the_nearest_channels_toml(clean_env: Path) -> None:
    """From a subfolder (cd examples) the nearest channels.toml above is the hub's, and the state
    directory is resolved against that file, not the current folder."""
    write(clean_env / "channels.toml")
    deep = clean_env / "items" / "2026"
    deep.mkdir(parents=True)
    os.chdir(deep)
    config = load_config()
    assert config.path == (clean_env / "channels.toml").resolve()
    assert config.state_dir == clean_env.resolve() / "state"
    # A nearer file wins over one further up.
    write(clean_env / "items" / "channels.toml", '[hub]\norg_code = "NEAR"\n')
    assert find_config(None) == (clean_env / "items" / "channels.toml").absolute()
    assert load_config().hub.org_code == "NEAR"


def test_defaults_of_a_minimal_file(clean_env: Path) -> None:
    write(clean_env / "channels.toml", "[channels.portal]\n")
    config = load_config()
    assert config.hub.org_code == "371700"
    assert config.base_dir == clean_env.resolve()
    assert config.state_dir == clean_env.resolve() / ".hub"
    assert config.database_url == f"sqlite:///{clean_env.resolve() / '.hub' / 'hub.db'}"
    assert config.signing_key_path == clean_env.resolve() / ".hub" / "keys" / "hub.key"
    assert config.log_origin == "heze-hub/371700"


def test_toml_error_in_chinese_with_line(clean_env: Path) -> None:
    write(clean_env / "channels.toml", "[hub]\norg_code = 371700/2\n")
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert "第 2 行" in message and "TOML" in message
    assert "Expected" not in message and "Invalid" not in message


def test_setting_error_in_chinese(clean_env: Path) -> None:
    write(clean_env / "channels.toml", '[hub]\norg_kode = "1"\n')
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "hub.org_kode：未知设置" in str(caught.value)
    assert "Extra inputs" not in str(caught.value)


def test_channels_toml_in_cwd(clean_env: Path) -> None:
    write(clean_env / "channels.toml")
    config = load_config()
    assert config.path == (clean_env / "channels.toml").resolve()
    assert config.hub.org_code == "MB2858123"
    assert set(config.settings.channels) == {"portal_b", "rss"}
    assert config.settings.channels["rss"] == {"max_entries": 50}
    assert config.settings.channels["portal_b"]["kinds"] == ["policy", "interpretation"]
    assert config.log_origin == "heze-hub/MB2858123"


def test_explicit_config_path(clean_env: Path, tmp_path: Path) -> None:
    write(clean_env / "channels.toml", '[hub]\norg_code = "CWD"\n')
    other = write(tmp_path / "etc" / "hub.toml")
    config = load_config(str(other))
    assert config.path == other.resolve()
    assert config.hub.org_code == "MB2858123"


def test_relative_paths_resolve_beside_the_config_file(clean_env: Path, tmp_path: Path) -> None:
    other = write(tmp_path / "etc" / "hub.toml")
    config = load_config(str(other))
    assert config.base_dir == other.parent.resolve()
    assert config.state_dir == other.parent.resolve() / "state"
    assert config.resolve("public") == other.parent.resolve() / "public"
    assert config.resolve("/srv/www") == Path("/srv/www")


def test_hub_config_env(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(clean_env / "channels.toml", '[hub]\norg_code = "CWD"\n')
    other = write(tmp_path / "etc" / "hub.toml")
    monkeypatch.setenv("HUB_CONFIG", str(other))
    assert load_config().hub.org_code == "MB2858123"
    # --config wins over HUB_CONFIG.
    assert load_config(str(clean_env / "channels.toml")).hub.org_code == "CWD"


def test_missing_explicit_config(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(str(missing))
    assert str(missing) in str(info.value) and "不存在" in str(info.value)


def test_missing_hub_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "HUB_CONFIG" in str(info.value) and "nope.toml" in str(info.value)


# --- environment overrides ----------------------------------------------------------------------
def test_env_overrides_hub_key(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(clean_env / "channels.toml")
    monkeypatch.setenv("HUB_HUB__ORG_CODE", "371702")
    config = load_config()
    assert config.hub.org_code == "371702"
    assert config.hub.public_url == "https://www.heze.gov.cn"  # the rest of [hub] stays


def test_env_overrides_a_minimal_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(clean_env / "channels.toml", MINIMAL)
    monkeypatch.setenv("HUB_HUB__ORG_CODE", "371702")
    assert load_config().hub.org_code == "371702"


def test_nested_secret_merged_into_channel_table(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(clean_env / "channels.toml")
    monkeypatch.setenv("HUB_CHANNELS__PORTAL_B__TOKEN", "s3cr3t-token")
    table = load_config().settings.channels["portal_b"]
    assert table["token"] == "s3cr3t-token"
    # Deep merge: the file's keys of the same table survive.
    assert table["plugin"] == "portal"
    assert table["mode"] == "http"
    assert table["api_base"] == "https://cms.heze.gov.cn"
    assert table["kinds"] == ["policy", "interpretation"]


def test_env_overrides_channel_key(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(clean_env / "channels.toml")
    monkeypatch.setenv("HUB_CHANNELS__PORTAL_B__API_BASE", "https://cms2.heze.gov.cn")
    table = load_config().settings.channels["portal_b"]
    assert table["api_base"] == "https://cms2.heze.gov.cn"
    assert table["mode"] == "http"


def test_env_secret_does_not_stay_in_the_channel_table(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(clean_env / "channels.toml", MINIMAL)
    monkeypatch.setenv("HUB_CHANNELS__PORTAL__TOKEN", "s3cr3t-token")
    assert load_config().settings.channels["portal"] == {"mode": "static", "token": "s3cr3t-token"}
    monkeypatch.delenv("HUB_CHANNELS__PORTAL__TOKEN")
    assert load_config().settings.channels["portal"] == {"mode": "static"}


# --- refusals -----------------------------------------------------------------------------------
def test_file_tables_are_the_file_alone(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Secrets written into the file are refused once the plugin's settings model says which
    # keys are secrets (tests/test_registry.py); for that the file's own tables are kept apart
    # from what the environment merged in.
    write(
        clean_env / "channels.toml",
        CONFIG.replace('mode = "http"', 'mode = "http"\ntoken = "written-in-the-file"'),
    )
    monkeypatch.setenv("HUB_CHANNELS__RSS__TOKEN", "from-the-environment")
    config = load_config()
    assert config.file_tables["portal_b"]["token"] == "written-in-the-file"
    assert "token" not in config.file_tables["rss"]
    assert config.settings.channels["rss"]["token"] == "from-the-environment"


def test_file_tables_hold_no_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(clean_env / "channels.toml", MINIMAL)
    monkeypatch.setenv("HUB_CHANNELS__PORTAL__TOKEN", "from-the-environment")
    assert load_config().file_tables == {"portal": {"mode": "static"}, "rss": {}}


def test_invalid_toml(clean_env: Path) -> None:
    write(clean_env / "channels.toml", '[hub]\norg_code = "371700\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "channels.toml" in str(info.value) and "TOML" in str(info.value)


def test_non_utf8_config(clean_env: Path) -> None:
    path = clean_env / "channels.toml"
    path.write_bytes('[hub]\norg_code = "菏泽"\n'.encode("gbk"))
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(path) in str(info.value) and "UTF-8" in str(info.value)


def test_unknown_hub_key_refused(clean_env: Path) -> None:
    write(clean_env / "channels.toml", '[hub]\norg_code = "371700"\nstate_dri = "state"\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "state_dri" in str(info.value)
    assert "channels.toml" in str(info.value)


def test_unknown_top_level_table_refused(clean_env: Path) -> None:
    write(clean_env / "channels.toml", '[hubs]\norg_code = "371700"\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "hubs" in str(info.value)


def test_bad_org_code_refused(clean_env: Path) -> None:
    write(clean_env / "channels.toml", '[hub]\norg_code = "371 700"\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "org_code" in str(info.value)


def test_bad_env_value_refused(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(clean_env / "channels.toml", MINIMAL)
    monkeypatch.setenv("HUB_HUB__ORG_CODE", "371 700")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "org_code" in str(info.value)


def test_bom_tolerated(clean_env: Path) -> None:
    (clean_env / "channels.toml").write_bytes(b"\xef\xbb\xbf" + CONFIG.encode("utf-8"))
    assert load_config().hub.org_code == "MB2858123"


@pytest.mark.parametrize("with_file", [True, False], ids=["file", "minimal-file"])
def test_env_alone_does_not_switch_a_channel_on(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, with_file: bool
) -> None:
    # channels.toml says which channels exist (DESIGN §6, §8); the environment only overrides
    # keys of them. A token left in a shell profile or a CI secret store must not, by itself,
    # create an enabled Weibo channel that publishes with default routing.
    write(clean_env / "channels.toml", CONFIG if with_file else MINIMAL)
    monkeypatch.setenv("HUB_CHANNELS__WEIBO__ACCESS_TOKEN", "2.00abcdef")
    try:
        config = load_config()
    except ConfigError as exc:
        assert "HUB_CHANNELS__WEIBO__ACCESS_TOKEN" in str(exc)
        assert "2.00abcdef" not in str(exc)
    else:
        assert "weibo" not in config.settings.channels


def test_repository_config_points_each_channel_at_its_own_sandbox_fake() -> None:
    """The shipped channels.toml: credit at the credit fake, not at another fake's port."""
    import tomllib

    from heze_hub.sandbox.runner import DEFAULT_PORT
    from heze_hub.sandbox.suite import SERVICE_ORDER

    repo = Path(__file__).resolve().parents[1]
    config = tomllib.loads((repo / "channels.toml").read_text(encoding="utf-8"))
    for name, table in config["channels"].items():
        base = table.get("api_base", "")
        if base.startswith("http://127.0.0.1:"):
            port = int(base.rsplit(":", 1)[1].split("/")[0])
            assert port == DEFAULT_PORT + SERVICE_ORDER.index(name), (name, base)
