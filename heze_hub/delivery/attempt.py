"""One attempt at a delivery: calling the channel and classifying what it raised, and the wait
before the next attempt. The engine (:mod:`heze_hub.delivery.engine`) runs the attempts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from tenacity import RetryCallState, wait_random_exponential

from heze_hub.delivery.channel import (
    Channel,
    DeliveryContext,
    PublishResult,
    RetryPolicy,
    Withdrawal,
)
from heze_hub.delivery.http import TransportError, is_bad_url
from heze_hub.errors import (
    Deferred,
    PermanentError,
    TransientError,
    Unconfirmed,
    write_failure,
)
from heze_hub.items.model import NormalizedItem

log = logging.getLogger(__name__)


def call_channel(
    channel: Channel, item: NormalizedItem, ctx: DeliveryContext, scrub: Callable[[str], str],
    withdrawal: Withdrawal | None = None,
) -> PublishResult:
    """One attempt of ``channel.publish`` (or ``channel.withdraw`` for a withdrawal); what a
    channel raised without classifying it is classified here (transient, permanent, or blocked
    until a person acts)."""
    try:
        if withdrawal is not None:
            return channel.withdraw(item, withdrawal, ctx)
        return channel.publish(item, ctx)
    except (TransientError, PermanentError, Deferred, Unconfirmed):
        raise
    except TransportError as exc:
        # Never str() a transport error: its message carries the URL, and URLs carry tokens.
        if is_bad_url(exc):
            raise PermanentError(f"渠道地址无效：{type(exc).__name__}") from None
        raise TransientError(f"网络错误：{type(exc).__name__}") from None
    except OSError as exc:  # a channel writing files: the disk, not the remote
        raise write_failure("写入文件失败", exc) from None
    except Exception as exc:
        log.error("channel %s raised %s: %s", channel.name, type(exc).__name__, scrub(str(exc)))
        raise PermanentError(f"渠道插件内部错误：{type(exc).__name__}") from None


def retry_wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    """The wait before the next attempt: the policy's jittered exponential backoff, or longer
    where the remote asked for it."""
    backoff = wait_random_exponential(multiplier=policy.initial_wait or 0.01, max=policy.max_wait)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        base = backoff(state)
        retry_after = getattr(exc, "retry_after", None)
        # The remote's own Retry-After wins over our schedule; stop_before_delay then decides
        # whether waiting that long still fits the channel's time budget.
        return max(base, float(retry_after)) if retry_after else base

    return wait
