"""The progress bar of ``hub publish`` on a terminal: the known total from the start, and which
channels the run is waiting for; nothing of it in a pipe."""

from __future__ import annotations

import os
import pty
import re
import subprocess

from tests.support import WEBHOOK_PLUGIN, HubRun, Receiver, hub_executable, write_item


def test_progress_shows_the_total_and_what_it_waits_for(
    hub_run: HubRun, receiver: Receiver
) -> None:
    receiver.delay = 0.4  # a slow remote, as WeChat is while it polls its publish status
    (hub_run.cwd / "channels.toml").write_text(
        f'[hub]\nplugins_dir = "{WEBHOOK_PLUGIN.parent}"\n\n[channels.portal]\n\n'
        f'[channels.notify]\nplugin = "webhook"\nurl = "{receiver.url}"\n', encoding="utf-8")
    files = [str(write_item(hub_run.cwd / f"{n}.md", f"关于测试第{n}项的通知")) for n in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(COLUMNS="120", TERM="xterm")
    main, tty = pty.openpty()
    try:
        proc = subprocess.Popen([hub_executable(), "publish", *files], cwd=hub_run.cwd,
                                env=env, stdout=subprocess.PIPE, stderr=tty, text=True)
        os.close(tty)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(main)
    assert proc.returncode == 0, out
    screen = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen).decode("utf-8", "replace")
    assert re.search(r"\d/6", screen), screen
    assert "/?" not in screen
    assert "等待：" in screen and "notify" in screen
    # In a pipe there is no bar at all.
    more = [str(write_item(hub_run.cwd / f"p{n}.md", f"关于管道第{n}项的通知")) for n in range(2)]
    piped = hub_run("publish", *more, check=0)
    assert "已发布 notify" in piped.stdout
    assert "发布中" not in piped.stderr and "/4" not in piped.stderr


def test_the_bar_says_what_a_slow_channel_waits_for() -> None:
    from heze_hub.cli.publish import _Progress
    from heze_hub_plugins.wechat import WeChatChannel

    bar = _Progress(None, {"wechat": WeChatChannel.waiting_for})
    bar.left = {"wechat": 2, "portal": 0, "rss": 1}
    assert bar._waiting() == "等待：wechat 2（等待微信发布结果）、rss 1"
