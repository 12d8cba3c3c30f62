"""The hub's key file: created owner-only, reloaded, and refused when others can read it or it
is not a key."""

from __future__ import annotations

import os
import stat

import pytest

from heze_hub.errors import ConfigError
from heze_hub.receipts.keyfile import load_or_create_key
from heze_hub.receipts.signing import verify_note

# -- the key file ----------------------------------------------------------------------------


def test_key_is_created_owner_only_and_reloaded(tmp_path):
    path = tmp_path / "keys" / "nested" / "hub.key"
    key = load_or_create_key(path, "heze-hub/HZZF")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    again = load_or_create_key(path, "heze-hub/HZZF")
    assert again.vkey() == key.vkey()
    note = again.sign_note("x\n")
    assert verify_note(note, key.vkey()) == "x\n"
    # The file is a PEM private key, and nothing secret shows in a repr.
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert "PRIVATE" not in repr(key) and key.key_id_hex in repr(key)


def test_existing_directory_is_left_alone(tmp_path):
    os.chmod(tmp_path, 0o755)
    load_or_create_key(tmp_path / "hub.key", "n")
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "hub.key"
    load_or_create_key(path, "n")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_key(path, "n")


def test_garbage_key_file_is_a_config_error(tmp_path):
    path = tmp_path / "hub.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not a key")
    os.close(fd)
    with pytest.raises(ConfigError):
        load_or_create_key(path, "n")


def test_key_path_that_is_a_directory_is_a_config_error(tmp_path):
    (tmp_path / "hub.key").mkdir(mode=0o700)
    with pytest.raises(ConfigError):
        load_or_create_key(tmp_path / "hub.key", "n")
