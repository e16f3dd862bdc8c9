"""A real HTTP server on 127.0.0.1 that serves files and misbehaves on purpose, for the download tests.

Each path has a queue of behaviours, consumed one per request; when the queue is empty the file is served
properly (with Range support). Every request is recorded with its headers.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    path: str
    range: str | None
    user_agent: str | None


@dataclass
class FaultyServer:
    files: dict[str, bytes] = field(default_factory=dict)  #: path (with leading /) -> content
    faults: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def fail(self, path: str, *behaviours) -> None:
        """Queue behaviours for the next requests of ``path``: 404, 500, "cut", "wrong", "html", "norange",
        ("slow", seconds), ("stall", seconds), "endless", ("trickle", seconds between bytes),
        ("trickle-headers", seconds between bytes), ("paced", bytes a second), ("length", a Content-Length header as
        sent)."""
        self.faults[path].extend(behaviours)

    def requested(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def _handler(server: FaultyServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            server.requests.append(Request(self.path, self.headers.get("Range"), self.headers.get("User-Agent")))
            queue = server.faults.get(self.path)
            behaviour = queue.pop(0) if queue else "ok"
            body = server.files.get(self.path)
            if isinstance(behaviour, int):
                return self._send(behaviour, b"<html>error</html>", "text/html")
            if body is None:
                return self._send(404, b"not found", "text/plain")
            kind, arg = behaviour if isinstance(behaviour, tuple) else (behaviour, None)
            if kind == "slow":
                time.sleep(arg)
                return self._send_file(body)
            if kind == "html":
                return self._send(200, b"<!DOCTYPE html><html><body>Moved</body></html>", "text/html")
            if kind == "wrong":
                return self._send(200, os.urandom(len(body)), "application/octet-stream")
            if kind == "cut":
                return self._send_partial(body, len(body) // 3)
            if kind == "stall":
                self._headers(200, len(body))
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                time.sleep(arg)
                self.close_connection = True
                return None
            if kind == "paced":
                return self._paced(body, arg)
            if kind in ("trickle", "trickle-headers"):
                return self._trickle(body, arg, headers_too=kind == "trickle-headers")
            if kind == "length":
                self.send_response(200)
                self.send_header("Content-Length", arg)
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return None
            if kind == "endless":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                self.close_connection = True
                block = bytes(1 << 16)
                try:
                    for _ in range(4096):  # 256 MiB at most, if the client never stops reading
                        self.wfile.write(block)
                except OSError:
                    pass
                return None
            return self._send_file(body, honour_range=kind != "norange")

        def _trickle(self, body: bytes, pause: float, headers_too: bool) -> None:
            """One byte at a time, never slow enough for a timeout between bytes; until the client gives up."""
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            data = (head + body) if headers_too else body
            if not headers_too:
                self.wfile.write(head)
            self.close_connection = True
            try:
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(pause)
            except OSError:
                pass

        def _paced(self, body: bytes, rate: int, piece: int = 8192) -> None:
            """The whole body at a steady ``rate`` bytes a second, in small pieces."""
            self._headers(200, len(body))
            self.close_connection = True
            start = time.monotonic()
            try:
                for sent in range(0, len(body), piece):
                    time.sleep(max(0.0, start + sent / rate - time.monotonic()))
                    self.wfile.write(body[sent : sent + piece])
                    self.wfile.flush()
            except OSError:
                pass

        def _headers(self, status: int, length: int, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()

        def _send(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _send_file(self, body: bytes, honour_range: bool = True) -> None:
            requested = self.headers.get("Range")
            if honour_range and requested and requested.startswith("bytes="):
                start = int(requested[6:].split("-")[0])
                if start >= len(body):
                    self._headers(416, 0, {"Content-Range": f"bytes */{len(body)}"})
                    return
                self._headers(206, len(body) - start, {"Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"})
                self.wfile.write(body[start:])
                return
            self._headers(200, len(body), {"Accept-Ranges": "bytes"})
            self.wfile.write(body)

        def _send_partial(self, body: bytes, count: int) -> None:
            """Promise the whole body, send ``count`` bytes, then cut the connection."""
            self._headers(200, len(body))
            self.wfile.write(body[:count])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up early (timeouts, size limits) are the point of these tests


def start(server: FaultyServer) -> tuple[ThreadingHTTPServer, threading.Thread]:
    httpd = _QuietServer(("127.0.0.1", 0), _handler(server))
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return httpd, thread
