"""The local web server of ``mnist-infer serve``: the standard library's threading HTTP server, kept safe.

- Only requests whose ``Host`` (and ``Origin``, when sent) name this server are answered (:mod:`.hosts`).
- ``POST`` bodies need a ``Content-Length`` of at most ``max_body`` bytes, checked before a byte is read
  (chunked bodies are refused); a body must arrive within ``BODY_SECONDS``. Bodies in memory at once take at most
  ``BODIES`` times ``max_body`` (beyond that: 503), and decoding them the bound of
  :data:`~mnist_infer.data.pictures.MAX_DECODE_BYTES`. So memory stays bounded however many clients come.
- A body is read before its request waits for one of the ``decoders``: a slow client never holds a decoder. The
  others wait up to ``QUEUE_SECONDS``, then get 503.
- Malformed requests get a 4xx; the log (``--log``) and errors go to stderr a whole line at a time, control
  characters escaped.
- Static files come from a fixed list read from the package at start-up: no directory listing, no other path.
- Every error is a JSON ``{"error": "..."}`` with a 4xx or 5xx status, and the server goes on serving.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from .. import __version__
from ..errors import N_, ImageError, MnistInferError, Phrase
from ..i18n import translator
from . import api
from .hosts import HostPolicy, display_host
from .page import SECURITY_HEADERS, load_static

MAX_BODY_BYTES = 10 * 1024 * 1024  #: the largest picture accepted (a phone's photo is 2–8 MB)
#: Requests reading and decoding a picture at once: one per core (decoding is CPU-bound), at least 2, at most 4.
DECODERS = max(2, min(4, os.cpu_count() or 2))
QUEUE_SECONDS = 20.0  #: how long a request waits for a decoder before 503
BODY_SECONDS = 20.0  #: how long a body may take to arrive
IDLE_SECONDS = 15.0  #: a connection silent this long is closed
#: After refusing a body unread, up to this much of it is drained (not kept), for at most DRAIN_SECONDS, so that
#: the client reads the answer rather than a reset connection.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 2.0
BODIES = 4  #: bodies of ``max_body`` bytes in memory at once, received and not yet answered
#: What the log escapes, as http.server does: the C0 and C1 control characters (a terminal obeys them).
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}

SEND_THE_FILE = N_("send the image file's bytes as the body (curl --data-binary @digit.png)")
#: A test digit by index: any number of up to 30 digits (one out of range is told so), or none.
_DIGIT_PATH = re.compile(r"/api/digit/(-?[0-9]{1,30})")
API_SUMMARY = N_(
    "the API is POST /api/predict (an image file as the body), GET /api/info, GET /api/messages, GET /api/digit/<index>"
)
BUSY = N_("busy: too many pictures at once; try again")


#: The standard library's own refusals, in words the catalogs translate.
_STANDARD_ERRORS = {
    HTTPStatus.BAD_REQUEST: N_("a malformed request"),
    HTTPStatus.REQUEST_URI_TOO_LONG: N_("the request's address is too long"),
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: N_("the request's headers are too many or too large"),
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: N_("an HTTP version this server does not speak"),
}


class PageServer(ThreadingHTTPServer):
    """Serves the page and the API for one :class:`~mnist_infer.serve.api.Model`."""

    daemon_threads = True  # Ctrl-C does not wait for open connections
    request_queue_size = 128  # 100 clients connecting at once are queued, not dropped

    def __init__(
        self,
        host: str,
        port: int,
        model: api.Model,
        *,
        max_body: int = MAX_BODY_BYTES,
        decoders: int = DECODERS,
        log: bool = False,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.model, self.max_body, self.log = model, max_body, log
        self.decoding = threading.BoundedSemaphore(decoders)
        self.held, self.holding = 0, threading.Lock()  # bytes of bodies in memory
        self.writing, self.stderr = threading.Lock(), -1
        self.static = load_static()
        super().__init__((host, port), Handler)
        self.hosts = HostPolicy(host, self.server_address[0])
        with contextlib.suppress(OSError):  # stderr as it is now: decoders point descriptor 2 at devnull as they run
            self.stderr = os.dup(2)

    def server_bind(self) -> None:
        # HTTPServer's own looks the host up in DNS (getfqdn); nothing here needs that.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{display_host(self.server_name)}:{self.server_port}/"

    def server_close(self) -> None:
        super().server_close()
        with self.writing:
            if self.stderr >= 0:
                os.close(self.stderr)
                self.stderr = -1

    def say(self, line: str) -> None:
        """One line on stderr, written whole whatever other threads write, control characters escaped."""
        encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
        with self.writing, contextlib.suppress(OSError):
            if self.stderr >= 0:
                os.write(self.stderr, (line.translate(_CONTROL) + "\n").encode(encoding, "backslashreplace"))

    def hold(self, size: int) -> bool:
        """Count ``size`` more bytes of bodies in memory (fewer, when negative); False if that would pass the bound."""
        with self.holding:
            if self.held + size > BODIES * self.max_body:
                return False
            self.held += size
            return True

    def handle_error(self, request: object, client_address: tuple) -> None:
        """One line, not the standard library's traceback; nothing when the client merely went away."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        self.say(f"mnist-infer serve: error while answering {client_address[0]}: {error!r}")


class Handler(BaseHTTPRequestHandler):
    server: PageServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page sends a request per stroke
    server_version = f"mnist-infer/{__version__}"
    sys_version = ""
    timeout = IDLE_SECONDS

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the body until the
        # client's delayed ACK (40 ms) on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    # --- requests -----------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self._refused():
            return
        if self.headers.get("Content-Length", "0").strip() != "0" or "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a body nobody reads: the next request cannot be found after it
        path = self.path.partition("?")[0]
        if path in self.server.static:
            body, content_type = self.server.static[path]
            self._send(HTTPStatus.OK, body, content_type, cache="no-cache")
        elif path == "/api/info":
            self._answer(lambda: api.info(self.server.model, self._translate()))
        elif path == "/api/messages":
            self._answer(lambda: api.messages(self._translate()))
        elif match := _DIGIT_PATH.fullmatch(path):
            # An answer's gradient keeps each layer's windows: as many at once as pictures decoded, no more.
            index, network = int(match.group(1)), self._query().get("network")
            self._answer_in_turn(lambda: api.test_digit(self.server.model, index, network))
        elif path == "/api/predict":
            self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, N_("POST the image file as the body"), allow="POST")
        else:
            self._send_error(HTTPStatus.NOT_FOUND, N_("no such page: {path}; {api}"), path=path, api=API_SUMMARY)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        if self._refused():
            return
        path = self.path.partition("?")[0]
        if path != "/api/predict":
            known = path in self.server.static or path in ("/api/info", "/api/messages") or _DIGIT_PATH.fullmatch(path)
            status = HTTPStatus.METHOD_NOT_ALLOWED if known else HTTPStatus.NOT_FOUND
            self._send_error(status, N_("POST {path}: {api}"), close=True, path=path, api=API_SUMMARY)
            return
        length = self._body_length()
        if length is None:
            return
        self.held = 0
        try:
            data = self._read_body(length)  # before waiting for a decoder: a slow client holds none
            if data is None:
                return
            self._answer_in_turn(lambda: api.predict_image(self.server.model, data, self._query().get("network")))
        finally:
            self.server.hold(-self.held)

    def _answer_in_turn(self, make) -> None:
        """:meth:`_answer`, once one of the server's decoders is free (503 after :data:`QUEUE_SECONDS`): a picture's
        decoding and an answer's gradient take memory, so no more of them run at once than there are decoders."""
        if not self.server.decoding.acquire(timeout=QUEUE_SECONDS):
            self._send_error(HTTPStatus.SERVICE_UNAVAILABLE, BUSY)
            return
        try:
            self._answer(make)
        finally:
            self.server.decoding.release()

    def handle_expect_100(self) -> bool:
        """``Expect: 100-continue``: refuse before the client sends the body, when it would be refused anyway."""
        if self._refused() or self._body_length() is None:
            return False
        return super().handle_expect_100()

    # --- checks -------------------------------------------------------------------------------------------
    def _refused(self) -> bool:
        """Refuse (and say why) a request that does not name this server: the DNS-rebinding guard."""
        hosts, host, origins = self.server.hosts, self.headers.get("Host"), self.headers.get_all("Origin", [])
        if len(self.headers.get_all("Host", [])) > 1:
            self._send_error(HTTPStatus.BAD_REQUEST, N_("more than one Host header"), close=True)
            return True
        if not hosts.allows_host_header(host):
            if host:
                template = N_("Host {host!r} is not this server; use {url}")
                self._send_error(HTTPStatus.FORBIDDEN, template, close=True, host=host, url=self.server.url)
            else:
                self._send_error(HTTPStatus.BAD_REQUEST, N_("no Host header"), close=True)
            return True
        if len(origins) > 1 or not hosts.allows_origin(origins[0] if origins else None, host):
            self._send_error(HTTPStatus.FORBIDDEN, N_("requests from other sites are refused"), close=True)
            return True
        return False

    def _body_length(self) -> int | None:
        """The declared body length, or None after refusing the request (the body is left unread)."""
        if "Transfer-Encoding" in self.headers:
            self._send_error(HTTPStatus.LENGTH_REQUIRED, N_("send the body with a Content-Length, not chunked"), True)
            return None
        declared = self.headers.get_all("Content-Length", [])
        if not declared:
            self._send_error(HTTPStatus.LENGTH_REQUIRED, N_("no Content-Length: {send}"), True, send=SEND_THE_FILE)
            return None
        digits = declared[0].strip()
        if len(declared) > 1 or not (digits.isascii() and digits.isdigit()):  # "²" and "٣" are digits to isdigit()
            shown = ", ".join(declared)
            template = N_("Content-Length {value!r} is not a number of bytes (digits only)")
            self._send_error(HTTPStatus.BAD_REQUEST, template, close=True, value=shown[:40])
            return None
        length = int(digits) if len(digits) < 16 else self.server.max_body + 1  # int() refuses 5,000 digits
        if length > self.server.max_body:
            self._send_error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                N_("the picture is larger than the {limit:,} bytes accepted; scale it down or crop it"),
                close=True,
                limit=self.server.max_body,
            )
            return None
        if length == 0:
            self._send_error(HTTPStatus.BAD_REQUEST, N_("empty body: {send}"), send=SEND_THE_FILE)
            return None
        if self.headers.get_content_type() == "multipart/form-data":
            self._send_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, N_("a form upload: {send}"), True, send=SEND_THE_FILE)
            return None
        return length

    def _read_body(self, length: int) -> bytes | None:
        """Exactly ``length`` bytes, arriving within ``BODY_SECONDS``, counted in ``self.held`` (the caller lets them
        go); None after refusing a slow or short one, or one that the memory for bodies cannot take now."""
        chunks = []
        deadline = time.monotonic() + BODY_SECONDS
        try:
            while self.held < length:
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunk = self.rfile.read1(min(length - self.held, 1 << 20))
                if not chunk:
                    break
                if not self.server.hold(len(chunk)):
                    self._send_error(HTTPStatus.SERVICE_UNAVAILABLE, BUSY, True)
                    return None
                chunks.append(chunk)
                self.held += len(chunk)
        except TimeoutError:
            self._send_error(HTTPStatus.REQUEST_TIMEOUT, N_("the body arrived too slowly"), close=True)
            return None
        if self.held < length:
            self.close_connection = True  # the client went away mid-body: nobody to answer
            return None
        return b"".join(chunks)

    # --- answers ------------------------------------------------------------------------------------------
    def _query(self) -> dict[str, str]:
        """The query's parameters (``network``, ``lang``), the last of each name."""
        return dict(parse_qsl(self.path.partition("?")[2]))

    def _translate(self) -> Callable[[str], str]:
        """``_`` in the language the request asks for: ``?lang=``, else its Accept-Language, else English."""
        headers = getattr(self, "headers", None)  # none yet when the request line itself is refused
        wanted = headers.get("Accept-Language") if headers is not None else None
        return translator(api.language(self._query().get("lang") if hasattr(self, "path") else None, wanted))

    def _answer(self, compute: Callable[[], dict[str, object]]) -> None:
        try:
            payload = compute()
        except ImageError as exc:
            self._send_error(HTTPStatus.BAD_REQUEST, exc.render(self._translate()))
        except api.NotFound as exc:
            self._send_error(HTTPStatus.NOT_FOUND, exc.render(self._translate()))
        except MnistInferError as exc:
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, exc.render(self._translate()))
        except Exception as exc:  # never a traceback to the client, never a dead server
            self.server.say(f"mnist-infer serve: internal error on {self.command} {self.path}: {exc!r}")
            template = N_("internal error ({kind}: {reason})")
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, template, kind=type(exc).__name__, reason=str(exc))
        else:
            self._send_json(HTTPStatus.OK, payload)

    def _send_json(self, status: int, payload: object, close: bool = False, allow: str | None = None) -> None:
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
        self._send(status, body, "application/json", cache="no-store", close=close, allow=allow)

    def _send_error(
        self, status: int, message: str, close: bool = False, allow: str | None = None, **fields: object
    ) -> None:
        """``message``: a sentence already in the request's language, or a template (``N_``) with its ``fields``,
        made here in the language the request asks for (``?lang=``, Accept-Language), as the API's other answers."""
        if isinstance(message, Phrase):
            message = MnistInferError(message, **fields).render(self._translate())
        self._send_json(status, {"error": " ".join(message.split())}, close=close, allow=allow)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the standard library detects itself (a bad request line, too many headers, a method no ``do_``
        answers…), as JSON too, in the request's language where it can be read."""
        if code == HTTPStatus.NOT_IMPLEMENTED:  # PUT, DELETE…: a method this server does not take
            self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, N_("{method}: this server answers GET, HEAD and POST"),
                             close=True, allow="GET, HEAD, POST", method=str(self.command)[:16])  # fmt: skip
            return
        self._send_error(code, _STANDARD_ERRORS.get(code) or message or HTTPStatus(code).phrase, close=True)

    def _send(
        self, status: int, body: bytes, content_type: str, cache: str, close: bool = False, allow: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if allow:
            self.send_header("Allow", allow)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if close and self.command == "POST":
            self._drain()

    def _drain(self) -> None:
        """Read and drop what the client still sends, a bounded amount, so it reads the answer rather than a reset
        (closing a socket with unread data resets the connection)."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(1.0)
            drained, deadline = 0, time.monotonic() + DRAIN_SECONDS
            while drained < DRAIN_BYTES and time.monotonic() < deadline and (chunk := self.rfile.read1(1 << 16)):
                drained += len(chunk)
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        if self.server.log:
            self.server.say(f"{self.address_string()} {format % args}")

    def log_error(self, format: str, *args: object) -> None:
        self.log_message(format, *args)  # timeouts of idle connections: not worth a line unless logging
