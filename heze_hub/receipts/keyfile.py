"""The hub's signing key file: created on first use, loaded after, never readable by others.

The private key lives in a PEM (PKCS#8) file of its own, never in the database; the file is
created ``0600`` in a ``0700`` directory, and a key file others can read is refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from heze_hub.errors import ConfigError
from heze_hub.receipts.signing import SigningKey


def load_or_create_key(path: str | os.PathLike[str], name: str) -> SigningKey:
    """Load the hub's signing key from ``path``, creating it there on first use.

    ``name`` is the key name, which is also the checkpoint origin (e.g. ``heze-hub/HZ001``); the
    key id depends on it, so a changed name means a new verifier key for auditors.

    A new key is written to a PEM file created ``0600`` (exclusively, so two hubs starting at
    once end up with the same key), in a directory created ``0700`` if it did not exist. An
    existing key file that group or others may read or write is refused with
    :class:`ConfigError`, as ssh does.
    """
    path = Path(path)
    if not path.exists():
        _create_parent(path.parent)
        key = SigningKey.generate(name)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; load theirs below
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(key.private_pem())
                f.flush()
                os.fsync(f.fileno())
            return key
    return _load_key(path, name)


def _create_parent(directory: Path) -> None:
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)  # mkdir's mode is filtered by the umask; be exact


def _load_key(path: Path, name: str) -> SigningKey:
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"签名私钥文件 {path} 的权限为 {stat.filemode(mode)}，其他用户可以读取或修改；"
                f"请执行 chmod 600 {path}"
            )
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise ConfigError(f"签名私钥文件 {path} 无法读取：{e}") from e
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"签名私钥文件 {path} 不是 Ed25519 私钥")
    return SigningKey(name, private)
