"""The hub's signing key file: created on first use, loaded after, never readable by others.

The private key lives in a PEM (PKCS#8) file of its own, never in the database; the file is
created ``0600`` in a ``0700`` directory, and a key file others can read is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from heze_hub.errors import ConfigError, describe_os_error
from heze_hub.files import create_once
from heze_hub.receipts.signing import SigningKey


def load_or_create_key(path: str | os.PathLike[str], name: str) -> SigningKey:
    """Load the hub's signing key from ``path``, creating it there on first use.

    ``name`` is the key name, which is also the checkpoint origin (e.g. ``heze-hub/HZ001``); the
    key id depends on it, so a changed name means a new verifier key for auditors.

    A new key is written to a PEM file created ``0600`` (whole or not at all, and exclusively,
    so two hubs starting at once end up with the same key; :func:`heze_hub.files.create_once`),
    in a directory created ``0700`` if it did not exist. An existing key file that group or
    others may read or write is refused with :class:`ConfigError`, as ssh does.

    An empty key file is what an earlier release left when the disk was full at first start; no
    checkpoint can have been signed with it, so it is replaced rather than refused.
    """
    path = Path(path)
    with contextlib.suppress(OSError):
        if path.is_file() and path.stat().st_size == 0:
            path.unlink()
    if not path.exists():
        key = SigningKey.generate(name)
        try:
            _create_parent(path.parent)
            created = create_once(path, key.private_pem(), 0o600)
        except OSError as exc:
            raise ConfigError(
                f"无法创建签名私钥文件 {path}：{describe_os_error(exc)}；"
                "未签署任何内容，腾出空间或修正权限后重试"
            ) from None
        if created:
            return key
        # Another process created it first; load theirs below.
    return load_key(path, name)


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


def load_key(path: str | os.PathLike[str], name: str) -> SigningKey:
    """Load the hub's signing key from ``path``, creating nothing (for read-only use)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"签名私钥文件 {path} 的权限为 {stat.filemode(mode)}，其他用户可以读取或修改；"
                f"请执行 chmod 600 {path}"
            )
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as e:
        raise ConfigError(f"签名私钥文件 {path} 无法读取：{describe_os_error(e)}") from None
    except (ValueError, TypeError):
        raise ConfigError(
            f"签名私钥文件 {path} 已损坏，不是 PEM 格式的私钥；请从备份恢复该文件"
            "（换用新密钥会使此前签署的检查点无法再与之衔接）"
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"签名私钥文件 {path} 不是 Ed25519 私钥")
    return SigningKey(name, private)
