"""How long a download may take: the ``--timeout`` a user gives, and a deadline for every location.

A server that trickles one byte a second never times out between bytes, and a read of 64 KiB waits for all of
them. So each location gets a deadline that moves with what arrives: after a grace of three times the
timeouts (to connect and answer, even slowly), the bytes must keep coming at :data:`MIN_RATE` on average; a
watchdog shuts the connection down when the deadline passes, whatever the connection waits for (headers, a TLS
record, the body). A file can thus never take longer than the grace plus its size limit at that rate.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import weakref

from ..errors import DownloadError

MAX_TIMEOUT = 3600.0  #: the longest --timeout accepted, in seconds
#: The slowest average rate (bytes per second) a source may deliver at once its grace is over; a slower one is
#: left for the next source (the bytes that arrived are kept for a resume).
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


def grace(timeout: tuple[float, float]) -> float:
    """Seconds a location has before its bytes must arrive at :data:`MIN_RATE`: three times its timeouts."""
    return 3 * (timeout[0] + timeout[1])


class Watchdog:
    """Shuts down the connections of one fetcher when the current location misses its deadline:
    ``grace + received / MIN_RATE`` seconds after it started."""

    def __init__(self) -> None:
        self._connections: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.expired = False
        self.started = self.grace = 0.0
        self.received = 0

    def add(self, connection) -> None:
        with self._lock:
            self._connections.add(connection)
            if self.expired:
                self._shut(connection)

    def start(self, grace: float) -> None:
        self.stop()
        with self._lock:
            self.expired, self.started, self.grace, self.received = False, time.monotonic(), grace, 0
            self._arm(grace)

    def progress(self, received: int) -> None:
        """Bytes of the file held so far (what a resumed download started from included)."""
        self.received = received

    def late(self) -> bool:
        """Whether the deadline has passed (the watchdog may not have fired yet)."""
        return self.expired or time.monotonic() > self.started + self.grace + self.received / MIN_RATE

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(max(seconds, 0.01), self._check)
        self._timer.daemon = True
        self._timer.start()

    def _check(self) -> None:
        with self._lock:
            if self._timer is None:
                return  # stopped meanwhile
            remaining = self.started + self.grace + self.received / MIN_RATE - time.monotonic()
            if remaining > 0:
                self._arm(remaining)  # bytes arrived since: the deadline moved
                return
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

        def proxy_manager_for(self, proxy, **kwargs):  # through an HTTP proxy too (not SOCKS: its own classes)
            manager = super().proxy_manager_for(proxy, **kwargs)
            if not proxy.lower().startswith("socks"):
                manager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}
            return manager

    return Adapter(max_retries=retry)
