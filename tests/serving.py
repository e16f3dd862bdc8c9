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
