"""What went wrong with a source, in a few words, and whether its host can be reached at all."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

#: An unreachable host (no such name, nothing listening, no route): later files skip it.
_UNREACHABLE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH})


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: requests wraps urllib3's errors, which wrap the socket's."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args[:1]]
        pending.extend(e for e in wrapped if isinstance(e, BaseException))


def explain(exc: BaseException) -> tuple[str, bool]:
    """What went wrong, in a few words, and whether the host is unreachable (retrying it is pointless)."""
    import urllib3

    chain = list(_causes(exc))
    for cause in chain:
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return "could not resolve the host name", True
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNOS:
            return os.strerror(cause.errno), True
    for cause in chain:
        if isinstance(cause, (TimeoutError, urllib3.exceptions.TimeoutError)):
            return "timed out", False
    for cause in chain:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno), False
    innermost = chain[-1]
    return f"{type(innermost).__name__}: {str(innermost)[:160]}", False
