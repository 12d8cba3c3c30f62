"""Accounts of the service (DESIGN §13): users with a role and their departments, argon2id
passwords for the web pages, API tokens stored hashed, and web sessions.

API tokens are 32 random bytes: far beyond guessing, so a plain SHA-256 of the token is enough to
store it (a memory-hard hash is for passwords people choose, and would cost every API request).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from heze_hub.errors import InputError
from heze_hub.items.normalize import now
from heze_hub.store.db import Store
from heze_hub.store.schema import api_tokens, users, web_sessions

ROLES = ("department", "operator", "auditor")
ROLE_LABELS = {"department": "部门", "operator": "运维", "auditor": "审计"}
#: How long a web session lasts without a new login.
SESSION_HOURS = 8
_NAME_RE = re.compile(r"^[\w.@-]{1,100}$")
_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


@dataclass(frozen=True)
class Account:
    """A user as the service sees one on a request."""

    name: str
    role: str
    departments: tuple[str, ...]
    disabled: bool = False

    def may_act_for(self, department: str) -> bool:
        """Whether this account may submit or see items of ``department``."""
        return self.role == "operator" or department in self.departments


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of a token or session id: what the store keeps instead of the secret."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh API token: 32 random bytes, URL-safe text."""
    return "hub_" + secrets.token_urlsafe(32)


def add_user(
    store: Store, name: str, role: str, departments: list[str], password: str | None
) -> str:
    """Create a user and return its first API token (shown once, stored hashed)."""
    if not _NAME_RE.match(name):
        raise InputError(
            f"用户名 {name!r}：只能由字母、数字、汉字和 . _ @ - 组成，最多 100 个字符")
    if role not in ROLES:
        raise InputError(f"--role：{role} 不是角色；可选：{'、'.join(ROLES)}")
    departments = [d.strip() for d in departments if d.strip()]
    if role == "department" and not departments:
        raise InputError(
            "--department：部门用户至少要有一个发布机构（如 --department 菏泽市教育局）")
    if role != "department" and departments:
        raise InputError(f"--department：只有部门用户属于发布机构，{ROLE_LABELS[role]}用户不需要")
    if password is not None and len(password) < 8:
        raise InputError("密码至少 8 个字符")
    stamp = now().isoformat()
    row = dict(name=name, role=role, departments=json.dumps(departments, ensure_ascii=False),
               password_hash=_hasher.hash(password) if password else None, disabled=False,
               created_at=stamp)
    token = new_token()

    def op(conn: Any) -> None:
        conn.execute(insert(users), [row])
        conn.execute(insert(api_tokens),
                     [dict(token_sha256=sha256_hex(token), user=name, created_at=stamp)])

    try:
        store.write(op)
    except IntegrityError:
        raise InputError(f"用户 {name} 已存在") from None
    return token


def issue_token(store: Store, name: str) -> str:
    """Another API token for an existing, enabled user."""
    account = get_account(store, name)
    if account is None:
        raise InputError(f"用户 {name} 不存在")
    if account.disabled:
        raise InputError(f"用户 {name} 已停用，不能再签发令牌")
    token = new_token()
    store.write(lambda conn: conn.execute(insert(api_tokens), [
        dict(token_sha256=sha256_hex(token), user=name, created_at=now().isoformat())]))
    return token


def disable_user(store: Store, name: str) -> None:
    """Disable a user: its tokens and sessions stop working at once; history stays."""
    if get_account(store, name) is None:
        raise InputError(f"用户 {name} 不存在")

    def op(conn: Any) -> None:
        conn.execute(update(users).where(users.c.name == name).values(disabled=True))
        conn.execute(delete(web_sessions).where(web_sessions.c.user == name))

    store.write(op)


def list_accounts(store: Store) -> list[Account]:
    """Every user, by name."""
    with store.read() as conn:
        rows = conn.execute(select(users).order_by(users.c.name)).all()
    return [_account(r._mapping) for r in rows]


def get_account(store: Store, name: str) -> Account | None:
    """The user called ``name``, or None."""
    with store.read() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    return _account(row._mapping) if row else None


def account_for_token(store: Store, token: str) -> Account | None:
    """The enabled user holding API ``token``, or None (unknown token or disabled user)."""
    q = select(users).join(api_tokens, api_tokens.c.user == users.c.name).where(
        api_tokens.c.token_sha256 == sha256_hex(token))
    with store.read() as conn:
        row = conn.execute(q).first()
    account = _account(row._mapping) if row else None
    return account if account and not account.disabled else None


def check_password(store: Store, name: str, password: str) -> Account | None:
    """The enabled user ``name`` if ``password`` is theirs, else None (same answer for an
    unknown user, a wrong password and a disabled account)."""
    with store.read() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None or not row.password_hash:
        _hasher.hash(password or "-")  # the same time as a real check: names are not revealed
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    account = _account(row._mapping)
    return None if account.disabled else account


def start_session(store: Store, account: Account) -> tuple[str, str]:
    """A new web session: (session id for the cookie, CSRF token for the forms)."""
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = (now() + timedelta(hours=SESSION_HOURS)).isoformat()
    store.write(lambda conn: conn.execute(insert(web_sessions), [
        dict(session_sha256=sha256_hex(sid), user=account.name, csrf=csrf, expires_at=expires)]))
    return sid, csrf


def session_account(store: Store, sid: str) -> tuple[Account, str] | None:
    """The enabled user and CSRF token of a live session, or None."""
    q = select(users, web_sessions.c.csrf, web_sessions.c.expires_at).join(
        web_sessions, web_sessions.c.user == users.c.name
    ).where(web_sessions.c.session_sha256 == sha256_hex(sid))
    with store.read() as conn:
        row = conn.execute(q).first()
    if row is None or row.expires_at < now().isoformat():
        return None
    account = _account(row._mapping)
    return None if account.disabled else (account, row.csrf)


def end_session(store: Store, sid: str) -> None:
    """Log out: the session id stops working."""
    store.write(lambda conn: conn.execute(
        delete(web_sessions).where(web_sessions.c.session_sha256 == sha256_hex(sid))))


def _account(m: Any) -> Account:
    return Account(name=m["name"], role=m["role"],
                   departments=tuple(json.loads(m["departments"] or "[]")),
                   disabled=bool(m["disabled"]))
