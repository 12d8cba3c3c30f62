"""What the tests share besides fixtures: paths, the real ``hub`` CLI as a subprocess, item files,
the recording HTTP receiver's state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "items"
DATA = Path(__file__).resolve().parent / "data"
WEBHOOK_PLUGIN = REPO / "examples" / "plugins" / "webhook.py"


def hub_executable() -> str:
    """The ``hub`` console script installed next to the running interpreter."""
    candidate = Path(sys.executable).parent / "hub"
    return str(candidate) if candidate.exists() else "hub"


@dataclass
class HubRun:
    """Runs ``hub`` as a subprocess in one working directory."""

    cwd: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, check: int | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(self.env)
        proc = subprocess.run(
            [hub_executable(), *args], cwd=self.cwd, env=env, capture_output=True,
            text=True, timeout=timeout,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if proc.returncode != 0:
            # Every error path the suite triggers through the CLI is told in Chinese (issue 15).
            from tests.chinese import english_in

            assert not english_in(proc.stderr), (english_in(proc.stderr), proc.stderr)
        if check is not None:
            assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
        return proc

    def json(self, *args: str, check: int | None = 0) -> Any:
        proc = self(*args, "--json", check=check)
        return json.loads(proc.stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(self.env)
        return subprocess.Popen([hub_executable(), *args], cwd=self.cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def init_config(folder: Path, **values: str) -> Path:
    """Write the ``channels.toml`` that ``hub init`` writes into ``folder`` (unless one is there),
    as a department's first step does."""
    from heze_hub.cli.init import config_text

    path = folder / "channels.toml"
    if not path.exists():
        path.write_text(config_text(**values), encoding="utf-8")
    return path


def write_item(path: Path, title: str, *, body: str = "正文。", **fields: Any) -> Path:
    """Write a Markdown item file with TOML front matter."""
    base: dict[str, Any] = {
        "department": "菏泽市测试局", "written_on": "2018-06-01", "kind": "notice",
        "category": "service", "topics": ["教育"],
    }
    base.update(fields)
    lines = ["+++", f"title = {json.dumps(title, ensure_ascii=False)}"]
    for key, value in base.items():
        if key in {"written_on"}:
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    lines += ["+++", body, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class Receiver:
    """A JSON receiver on 127.0.0.1 that deduplicates by Idempotency-Key, like a real CMS."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay: float = 0.0
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys_created(self) -> list[str]:
        with self.lock:
            return list(self.created)
