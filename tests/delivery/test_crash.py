"""The crash points' switch, ``HUB_TEST_CRASH_AT``: its syntax, its trace, and the kill itself.

The kill at every step of every built-in channel is exercised by ``tests/test_crash_points.py``;
here a bare interpreter shows what the switch does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from heze_hub.delivery.crash import ENV, STEPS, CrashAt, parse


@pytest.mark.parametrize(("spec", "expected"), [
    ("before-send", CrashAt("before-send")),
    ("before-send:wechat", CrashAt("before-send", "wechat")),
    ("before-send:3", CrashAt("before-send", None, 3)),
    ("after-mark:wechat:2", CrashAt("after-mark", "wechat", 2)),
    ("trace", CrashAt("trace")),
])
def test_the_switch_names_a_step_a_channel_and_a_count(spec: str, expected: CrashAt) -> None:
    assert parse(spec) == expected


@pytest.mark.parametrize("spec", ["before-sned", "before-send:wechat:0",
                                  "before-send:a:b:3", "before-send:wechat:x"])
def test_a_misspelt_switch_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=ENV):
        parse(spec)


def test_every_step_is_described() -> None:
    assert all(name and text for name, text in STEPS.items())
    assert "before-claim" in STEPS and "after-deliveries" in STEPS


def run(spec: str, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run([sys.executable, "-c", code], env={**env, ENV: spec},
                          capture_output=True, text=True, timeout=60)


def test_the_nth_time_the_step_is_reached_in_that_channel_the_process_is_killed() -> None:
    code = (
        "from heze_hub.delivery import crash\n"
        "crash.reached('before-send', 'weibo')\n"  # another channel: not counted
        "crash.reached('after-send', 'wechat')\n"  # another step: not counted
        "with crash.delivering('wechat', 'X/2018-00001:1:wechat'):\n"
        "    crash.reached('before-send')\n"
        "    print('first', flush=True)\n"
        "    crash.reached('before-send', detail='/cgi-bin/freepublish/submit')\n"
        "print('never')\n"
    )
    proc = run("before-send:wechat:2", code)
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdout == "first\n"
    assert proc.stderr.splitlines() == ["\t".join([
        ENV, "kill", "before-send", "wechat", "X/2018-00001:1:wechat",
        "/cgi-bin/freepublish/submit"])]


def test_trace_reports_every_crash_point_and_kills_nothing() -> None:
    code = (
        "from heze_hub.delivery import crash\n"
        "crash.reached('before-claim', 'rss', key='k')\n"
        "crash.reached('after-deliveries', 'rss')\n"
        "print('alive')\n"
    )
    proc = run("trace", code)
    assert proc.returncode == 0 and proc.stdout == "alive\n"
    assert [line.split("\t")[1:4] for line in proc.stderr.splitlines()] == [
        ["trace", "before-claim", "rss"], ["trace", "after-deliveries", "rss"]]


def test_a_misspelt_switch_stops_the_hub_at_once() -> None:
    proc = run("before-sned", "import heze_hub.delivery.crash")
    assert proc.returncode != 0 and "未知的崩溃点" in proc.stderr

