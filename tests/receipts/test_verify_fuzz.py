"""Fuzzing ``hub verify``: whatever an exported bundle or a kept checkpoint turns into, the
verifier answers with findings or a message, never a crash (issue: never 内部错误 on input).

Bounded examples here, so CI stays fast; ``bench/fuzz_verify.py`` runs the same property
longer (``HUB_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heze_hub.errors import HubError
from heze_hub.receipts.bundle import export_bundle
from heze_hub.receipts.signing import SigningKey
from heze_hub.receipts.verify import verify_bundle
from tests.receipts.bundles import LINES, ORIGIN, checkpoint
from tests.support import hub_executable

FILES = ("receipts.jsonl", "checkpoint", "hub.pub")
KEY = SigningKey.generate(ORIGIN)
KEPT = checkpoint(KEY, LINES[:20])
ORIGINAL_NOTE = checkpoint(KEY, LINES).encode()


@st.composite
def damage(draw: st.DrawFn) -> tuple[str, str, int, bytes]:
    """Which file, how (replace a slice, insert, truncate, swap for garbage), where, what."""
    name = draw(st.sampled_from(FILES))
    how = draw(st.sampled_from(("replace", "insert", "truncate", "garbage")))
    where = draw(st.integers(0, 1 << 16))
    data = draw(st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b"\xff\xfe", b"\x00", b"\n", b"{}", b'{"seq":1e999}', b"[" * 3000,
                         '\ud800'.encode("utf-8", "surrogatepass"), b"9" * 5000, b"\r\n"]),
    ))
    return name, how, where, data


def apply(folder: Path, name: str, how: str, where: int, data: bytes) -> None:
    path = folder / name
    raw = path.read_bytes()
    at = where % (len(raw) + 1)
    if how == "replace":
        raw = raw[:at] + data + raw[at + len(data):]
    elif how == "insert":
        raw = raw[:at] + data + raw[at:]
    elif how == "truncate":
        raw = raw[:at]
    else:
        raw = data
    path.write_bytes(raw)


def _fresh(tmp: Path) -> Path:
    folder = tmp / "bundle"
    if folder.exists():
        shutil.rmtree(folder)
    export_bundle(folder, LINES, checkpoint(KEY, LINES), KEY.vkey())
    return folder


# bench/fuzz_verify.py sets HUB_FUZZ_EXAMPLES for a longer run of the same property.
@settings(max_examples=int(os.environ.get("HUB_FUZZ_EXAMPLES", "150")), deadline=None,
          derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(damage(), min_size=1, max_size=3),
       known=st.one_of(st.just(KEPT), st.text(max_size=200)))
def test_a_damaged_bundle_gives_findings_not_a_crash(tmp_path: Path, changes, known) -> None:
    folder = _fresh(tmp_path)
    for change in changes:
        apply(folder, *change)
    try:
        report = verify_bundle(folder, [known], vkey=KEY.vkey())
    except HubError as exc:
        assert str(exc)  # refused with a message: fine
        return
    # Anything that changed the receipts or the checkpoint is found (a change that left
    # every byte as it was, or only touched hub.pub while --key was given, is not a change).
    receipts = (folder / "receipts.jsonl").read_bytes()
    note = (folder / "checkpoint").read_bytes()
    if receipts != b"".join(line + b"\n" for line in LINES) or note != ORIGINAL_NOTE:
        assert not report.ok


def test_hub_verify_on_garbage_files_is_a_message(tmp_path: Path) -> None:
    folder = _fresh(tmp_path)
    cases = {
        "known-latin1.txt": "检查点".encode("gb18030"),
        "known-binary.bin": bytes(range(256)),
        "known-empty.txt": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        proc = subprocess.run([hub_executable(), "verify", str(folder), "--known",
                               str(tmp_path / name)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=60)
        assert proc.returncode in (1, 2), (name, proc.stderr)
        assert "Traceback" not in proc.stderr and "内部错误" not in proc.stderr, proc.stderr
        assert proc.stdout.strip() or proc.stderr.strip()
    (folder / "receipts.jsonl").write_bytes(b"\xff\xfe\x00garbage\n" * 10)
    proc = subprocess.run([hub_executable(), "verify", str(folder)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr
    assert "内部错误" not in proc.stderr and "内部错误" not in proc.stdout
