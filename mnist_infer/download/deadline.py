"""How long a download may take: the ``--timeout`` a user gives, and an overall deadline per location.

A server that trickles one byte a second never times out between bytes, and a read of 64 KiB waits for all of
them; so each location gets an overall deadline (:func:`allowance`), and a watchdog shuts the connection down
when it passes, whatever the connection is waiting for (headers, a TLS record, the body).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import weakref

from ..catalog import KnownFile
from ..errors import DownloadError
from .verify import size_limit

MAX_TIMEOUT = 3600.0  #: the longest --timeout accepted, in seconds
#: The slowest average rate a source may deliver a file at (bytes per second), beyond the time it may take to
#: answer; a slower one is left for the next source (the bytes that arrived are kept for a resume).
MIN_RATE = 32 * 1024


def check_timeout(timeout: tuple[float, float]) -> tuple[float, float]:
    """``(connect, read)`` seconds, each finite and between 0 and :data:`MAX_TIMEOUT`."""
    try:
        values = tuple(float(t) for t in timeout)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 2 or not all(math.isfinite(t) and 0 < t <= MAX_TIMEOUT for t in values):
        raise DownloadError(f"timeout {timeout!r}: expected seconds between 0 and {MAX_TIMEOUT:.0f}, finite")
    return values  # type: ignore[return-value]


def allowance(known: KnownFile, timeout: tuple[float, float]) -> float:
    """Seconds one location may take to deliver ``known``, all its retries included: three times the time a
    server may take to answer, plus the file at :data:`MIN_RATE`."""
    return 3 * (timeout[0] + timeout[1]) + size_limit(known) / MIN_RATE


class Watchdog:
    """Shuts down the connections of one fetcher when the current location's deadline passes."""

    def __init__(self) -> None:
        self._connections: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.expired = False
        self.started = 0.0

    def add(self, connection) -> None:
        with self._lock:
            self._connections.add(connection)
            if self.expired:
                self._shut(connection)

    def start(self, seconds: float) -> None:
        self.stop()
        self.expired, self.started = False, time.monotonic()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in list(self._connections):
                self._shut(connection)

    @staticmethod
    def _shut(connection) -> None:
        import socket

        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError, ValueError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread; close() would not


def watched_adapter(watchdog: Watchdog, retry):
    """A requests adapter whose connections the watchdog can shut down (urllib3's ``ConnectionCls`` hook)."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Watched(HTTPConnection):
        def connect(self) -> None:
            watchdog.add(self)
            super().connect()

    class WatchedTLS(HTTPSConnection):
        def connect(self) -> None:
            watchdog.add(self)
            super().connect()

    class Pool(HTTPConnectionPool):
        ConnectionCls = Watched

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedTLS

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}

    return Adapter(max_retries=retry)
