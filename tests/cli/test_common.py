"""What the commands share: opening the hub, plugin warnings shown, consoles quiet in pipes."""

from __future__ import annotations

import click
import pytest

from heze_hub.cli.common import open_hub, out
from heze_hub.errors import ConfigError


def test_open_hub_loads_the_configuration_and_closes_the_store(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "channels.toml").write_text('[hub]\norg_code = "T"\n[channels.portal]\n',
                                            encoding="utf-8")
    ctx = click.Context(click.Command("x"), obj={"config": None})
    with open_hub(ctx) as hub:
        assert hub.config.hub.org_code == "T" and "portal" in hub.channels
    assert (tmp_path / ".hub" / "hub.db").exists()


def test_open_hub_reports_a_broken_plugin_and_goes_on(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "broken.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "channels.toml").write_text(
        '[hub]\nplugins_dir = "plugins"\n[channels.portal]\n', encoding="utf-8")
    ctx = click.Context(click.Command("x"), obj={"config": None})
    with open_hub(ctx) as hub:
        assert "portal" in hub.channels
    assert "broken" in capsys.readouterr().err


def test_open_hub_refuses_a_missing_config_file(tmp_path) -> None:
    ctx = click.Context(click.Command("x"), obj={"config": str(tmp_path / "nope.toml")})
    with pytest.raises(ConfigError), open_hub(ctx):
        pass


def test_output_is_not_truncated_in_a_pipe() -> None:
    assert out.is_terminal or out.width >= 200
