"""A real ``mnist-infer serve`` server on 127.0.0.1 for the tests, and plain HTTP clients for it.

The fixtures ``served_data``, ``model`` and ``server`` are module-wide; a test module that uses them imports
``served_data_fixture``, ``model_fixture`` and ``server_fixture``."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import TEST_FILES, copy_packaged
from mnist_infer.serve import api
from mnist_infer.serve.server import PageServer


@contextmanager
def running(model: api.Model, host: str = "127.0.0.1", **options) -> Iterator[PageServer]:
    server = PageServer(host, 0, model, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module", name="served_data")
def served_data_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding copies of the packaged test split and the book's weights (module-wide: the server
    loads them once)."""
    directory = tmp_path_factory.mktemp("data")
    for name in (*TEST_FILES, "sample_weight.pkl"):
        copy_packaged(name, directory / name)
    return directory


@pytest.fixture(scope="module", name="model")
def model_fixture(served_data: Path) -> api.Model:
    return api.load_model(served_data / "sample_weight.pkl", served_data)


@pytest.fixture(scope="module", name="server")
def server_fixture(model: api.Model) -> Iterator[PageServer]:
    with running(model) as server:
        yield server


def strict_json(text: bytes | str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def call(server: PageServer, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, parsed JSON or raw bytes, response headers) of one request."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        is_json = response.getheader("Content-Type") == "application/json"
        return response.status, strict_json(data) if is_json else data, dict(response.getheaders())
    finally:
        connection.close()


def raw(server: PageServer, request: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, return everything the server sends back before closing."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def compile_catalog(locales: Path, language: str, translations: dict[str, str]) -> Path:
    """A gettext catalog ``locales/<language>/LC_MESSAGES/mnist-infer.mo``, compiled with the standard library alone:
    the format GNU msgfmt writes (a header, the table of sorted msgids, the table of their translations, the
    strings); Python's gettext reads it."""
    entries = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **translations}.items())
    strings = [key.encode() for key, _ in entries] + [value.encode() for _, value in entries]
    count, data, table = len(entries), b"", b""
    for string in strings:
        table += struct.pack("<2I", len(string), 28 + 16 * count + len(data))
        data += string + b"\0"
    path = locales / language / "LC_MESSAGES" / "mnist-infer.mo"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + 8 * count, 0, 28 + 16 * count) + table + data)
    return path


@contextmanager
def serve_command(*args: str, stderr: Path | None = None) -> Iterator[tuple[subprocess.Popen, int]]:
    """``mnist-infer serve --port 0 ARGS`` in its own process, stderr to a file: (the process, its port). Stopped with
    Ctrl-C at the end."""
    command = [sys.executable, "-m", "mnist_infer", "serve", "--port", "0", *args]
    with open(stderr or os.devnull, "wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        port = re.search(r"http://127\.0\.0\.1:(\d+)/", process.stdout.readline())
        assert port, "the server did not start"
        yield process, int(port.group(1))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        finally:
            process.kill()  # still running if SIGINT is ignored (as a shell's background jobs inherit it)
