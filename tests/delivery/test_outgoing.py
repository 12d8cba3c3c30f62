"""The last check of what public channels are about to send (DESIGN §3)."""

from __future__ import annotations

import shutil
from pathlib import Path

from heze_hub.delivery.outgoing import strings_of
from heze_hub.items.load import load_item
from heze_hub.items.normalize import normalize, now
from heze_hub.plugin import HubInfo, NormalizedItem
from tests.support import WEBHOOK_PLUGIN, HubRun, Receiver, write_item

# A channel that sends, besides the item, where the department's file lay: a field that
# normalization never sees and so never masks. Only the last check can stop it.
LEAKY_PLUGIN = '''
from heze_hub.plugin import Channel, PublishResult, hookimpl


class SourceChannel(Channel):
    plugin_name = "leaky"
    title = "泄露来源路径的渠道"

    def render(self, item):
        return {"title": item.title, "meta": [{"from": item.source}]}

    def publish(self, item, ctx):
        raise AssertionError("must never be called")


class PrivateChannel(SourceChannel):
    plugin_name = "private"
    public = False


@hookimpl
def register_channels(register):
    register(SourceChannel)
    register(PrivateChannel)
'''


def _probe(path: Path, title: str) -> NormalizedItem:
    """An item file, normalized and built as the checks before sending see it."""
    return normalize(load_item(write_item(path, title))).build("-", 0, now())


def _hub_info(folder: Path) -> HubInfo:
    return HubInfo(public_url="https://gov.example", state_dir=folder, config_dir=folder,
                   org_code="T", published_items=lambda: [], latest_checkpoint=lambda: None)


def _config(run: HubRun, receiver: Receiver, channel: str) -> None:
    plugins = run.cwd / "plugins"
    plugins.mkdir(exist_ok=True)
    shutil.copy(WEBHOOK_PLUGIN, plugins / "webhook.py")
    (plugins / "leaky.py").write_text(LEAKY_PLUGIN, encoding="utf-8")
    (run.cwd / "channels.toml").write_text(
        '[hub]\norg_code = "TEST"\nplugins_dir = "plugins"\npublic_url = "https://gov.example"\n'
        f'[channels.notify]\nplugin = "webhook"\nurl = "{receiver.url}"\n'
        f'[channels.side]\nplugin = "{channel}"\n',
        encoding="utf-8",
    )


def test_a_number_left_in_a_payload_stops_the_batch(hub_run: HubRun, receiver: Receiver) -> None:
    _config(hub_run, receiver, "leaky")
    good = write_item(hub_run.cwd / "good.md", "关于开展测试工作的通知")
    leaky = write_item(hub_run.cwd / "王某13805301234.md", "关于开展测试工作的通知二")
    for args in (("--dry-run",), ()):
        proc = hub_run("publish", str(good), str(leaky), *args, check=2)
        assert "王某13805301234.md" in proc.stderr  # the file is named (to its sender)
        assert "渠道 side 的字段 meta[0].from" in proc.stderr, proc.stderr
        assert "138****1234" in proc.stderr and "未发送任何内容" in proc.stderr
    assert receiver.posts == []  # not even the clean file of the batch was sent
    assert hub_run.json("status") == []  # and nothing was registered


def test_a_channel_that_is_not_public_is_not_checked(hub_run: HubRun, receiver: Receiver) -> None:
    _config(hub_run, receiver, "private")
    leaky = write_item(hub_run.cwd / "王某13805301234.md", "关于开展测试工作的通知")
    proc = hub_run("publish", str(leaky), "--dry-run", check=0)
    assert "13805301234" in proc.stdout  # the private channel's payload, shown to the operator


def test_strings_of_walks_every_string_with_its_path() -> None:
    payload = {"a": "x", "b": [1, {"c": b"y"}], "d": ("z",), "e": None}
    assert list(strings_of(payload)) == [("a", "x"), ("b[1].c", "y"), ("d[0]", "z")]
    assert list(strings_of("text")) == [("", "text")]


def test_the_message_names_the_file(tmp_path: Path) -> None:
    from heze_hub.delivery.outgoing import personal_data_problems
    from heze_hub.plugin import Channel, ChannelSettings

    class Echo(Channel):
        plugin_name = "echo"

        def render(self, item):
            return {"credit": item.credit_public, "source": item.source}

        def publish(self, item, ctx):
            raise AssertionError

    hub = _hub_info(tmp_path)
    channels = {"echo": Echo("echo", ChannelSettings(), hub)}
    clean = _probe(tmp_path / "a.md", "关于开展测试工作的通知")
    dirty = _probe(tmp_path / "身份证371702198005123010.md", "关于开展测试工作的通知二")
    assert personal_data_problems(channels, [clean]) == []
    [problem] = personal_data_problems(channels, [clean, dirty])
    assert problem.startswith(str(dirty.source))
    assert "渠道 echo 的字段 source" in problem and "371702********3010" in problem


def test_a_channel_that_cannot_render_fails_closed(tmp_path: Path) -> None:
    from heze_hub.delivery.outgoing import personal_data_problems
    from heze_hub.plugin import Channel, ChannelSettings

    class Broken(Channel):
        plugin_name = "broken"

        def render(self, item):
            raise KeyError("bug")

        def publish(self, item, ctx):
            raise AssertionError

    hub = _hub_info(tmp_path)
    item = _probe(tmp_path / "a.md", "关于开展测试工作的通知")
    [problem] = personal_data_problems({"b": Broken("b", ChannelSettings(), hub)}, [item])
    assert "渠道 b 无法生成将发送的内容（KeyError）" in problem


def test_an_id_number_in_a_link_stops_the_batch_on_a_built_in_channel(hub_run: HubRun) -> None:
    """Masking leaves links alone (rewriting one breaks it); the last check still reads them
    for ID numbers, in what the built-in portal and feed would publish."""
    (hub_run.cwd / "channels.toml").write_text(
        '[hub]\norg_code = "TEST"\npublic_url = "https://gov.example"\n'
        '[channels.portal]\nmode = "static"\noutput_dir = "public"\n'
        '[channels.rss]\noutput_dir = "public"\n', encoding="utf-8")
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知",
                      body="详见[名单](https://x.example.gov.cn/q?sfz=371702198005123010)。")
    proc = hub_run("publish", str(item), check=2)
    assert "渠道 portal 的字段 html" in proc.stderr and "371702********3010" in proc.stderr
    assert "渠道 rss" in proc.stderr and "未发送任何内容" in proc.stderr
    assert not (hub_run.cwd / "public").exists()
