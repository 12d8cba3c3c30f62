"""Who may do what (DESIGN §13), and the access log of every decision the service takes.

One table of actions and the roles allowed each: the API and the web pages ask it the same
question, so a page can never allow what the API refuses. The department rule (a department
acts only for its own 发布机构) is checked where the item is known.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from heze_hub.items.normalize import now
from heze_hub.service.accounts import Account
from heze_hub.store.db import Store
from heze_hub.store.schema import access_log

DEPT = ("department", "operator")
READ = ("auditor", "operator")

#: action → roles allowed. Operators run the hub, so they also read what auditors read.
POLICY: dict[str, tuple[str, ...]] = {
    "submit": DEPT,
    "preview": DEPT,
    "status": DEPT,  # restricted to its own departments for a department
    "retry": ("operator",),
    "withdraw": ("operator",),
    "channels": ("operator",),
    "receipts": READ,
    "bundle": READ,
    "audit": READ,
    "report": READ,
}

ACTION_LABELS = {
    "login": "登录", "logout": "退出", "submit": "提交", "preview": "预览", "status": "查看状态",
    "retry": "重试", "withdraw": "撤回", "channels": "渠道状态", "receipts": "回执",
    "bundle": "下载审计包", "audit": "审计", "report": "年度报表",
}


def allowed(account: Account | None, action: str) -> bool:
    """Whether ``account`` (None: not logged in) may do ``action`` at all."""
    return account is not None and account.role in POLICY[action]


def record(
    store: Store, account: Account | str | None, action: str, target: str | None,
    allowed: bool, detail: str | None = None,
) -> None:
    """Write one decision to the access log (DESIGN §13), on the store's writer."""
    user = account.name if isinstance(account, Account) else account
    row = dict(at=now().isoformat(), user=user, action=action, target=target,
               allowed=allowed, detail=detail)
    store.write(lambda conn: conn.execute(insert(access_log), [row]))


def recent(store: Store, limit: int = 200) -> list[dict[str, object]]:
    """The latest decisions, newest first."""
    q = select(access_log).order_by(access_log.c.id.desc()).limit(limit)
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
