"""`mnist-infer serve`: a local page to draw a digit and watch the network answer, layer by layer."""

from __future__ import annotations

import errno
import signal
import threading
from pathlib import Path

import click

from ..i18n import _
from .options import FileName, command, data_dir_option, malloc_thresholds


@command(
    "serve",
    _(
        "Draw a digit in the browser and watch the networks answer, layer by layer. Starts a web server "
        "on this computer and prints its address; Ctrl-C stops it. The page runs the same preprocessing "
        "and networks as `predict --image`, and switches between them; it also answers a JSON API (POST "
        "/api/predict with an image file as the body, GET /api/info). Only the weights are needed; the MNIST "
        "test set, when present, lets the page show test digits by index."
    ),
    _("Draw a digit in the browser, watch the networks answer."),
    """
mnist-infer serve --open
mnist-infer serve --port 0
mnist-infer serve --weights mine.npz --weights deep_convnet_params.pkl
curl --data-binary @my-seven.png http://127.0.0.1:8000/api/predict""",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help=_("0 picks a free port."))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar=_("ADDRESS"),
    help=_("Address to listen on. Anything but a loopback address lets other machines use the page."),
)
@click.option(
    "--weights",
    multiple=True,
    type=FileName(dir_okay=False),
    metavar=_("FILE"),
    help=_(
        "Weights file (.pkl or .npz); repeat it for several networks, which the page switches between [default: "
        "the book's at hand: sample_weight.pkl, deep_convnet_params.pkl, params.pkl once downloaded]."
    ),
)
@data_dir_option
@click.option("--open", "open_browser", is_flag=True, help=_("Open the page in the web browser."))
@click.option("--log", "log_requests", is_flag=True, help=_("Print a line per request on stderr."))
def serve(
    port: int, host: str, weights: tuple[Path, ...], data_dir: Path | None, open_browser: bool, log_requests: bool
) -> None:
    from ..errors import N_, MnistInferError
    from ..serve import PageServer, load_model
    from ..serve.api import book_weights
    from ..serve.hosts import WILDCARDS, is_loopback, lan_address
    from ..weights import resolve

    model = load_model([resolve(path, data_dir) for path in weights] or book_weights(data_dir), data_dir)
    malloc_thresholds(mmap=1 << 20)  # see malloc_thresholds: a thread's freed picture goes back to the system
    try:
        server = PageServer(host, port, model, log=log_requests)
    except OSError as exc:
        raise MnistInferError(N_("{problem}"), problem=_listen_error(host, port, exc)) from None
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as quietly as Ctrl-C
    try:
        with server:
            click.echo(_("Serving the digit page on {url}  (Ctrl-C to stop)").format(url=server.url))
            address = lan_address() if host in WILDCARDS else None
            if address is not None:
                url = f"http://{address}:{server.server_port}/"
                click.echo(_("From another device on the same network (a phone): {url}").format(url=url))
            if not is_loopback(host):
                click.echo(
                    _(
                        "Listening on {host}, not only on this computer: anyone who can reach it on port {port} "
                        "can use the page."
                    ).format(host=host, port=server.server_port),
                    err=True,
                )
            if open_browser:
                threading.Thread(target=_open_page, args=(server.url,), daemon=True).start()
            server.serve_forever()
    except KeyboardInterrupt:
        click.echo(_("Stopped."))
        raise click.exceptions.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _open_page(url: str) -> None:
    """In a thread: a console browser (the only kind a machine without a screen has) would hold the terminal."""
    import webbrowser

    if not webbrowser.open(url):
        click.echo(_("No web browser found to open; open {url} yourself.").format(url=url), err=True)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _listen_error(host: str, port: int, exc: OSError) -> str:
    import socket  # for its gaierror: `--help` lists this command, and socket costs it 3 ms

    from ..errors import os_reason

    if exc.errno == errno.EADDRINUSE:
        return _("port {port} on {host} is in use; pick another with --port N, or --port 0 for a free one").format(
            port=port, host=host
        )
    if exc.errno == errno.EACCES:
        return _(
            "no permission to listen on port {port}; ports under 1024 need root: use --port 8000, or --port 0"
        ).format(port=port)
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return _("cannot listen on {host!r} ({reason}); use an address of this machine, e.g. 127.0.0.1").format(
            host=host, reason=_("no such host name") if isinstance(exc, socket.gaierror) else _(os_reason(exc))
        )
    return _("cannot listen on {host}:{port} ({reason})").format(host=host, port=port, reason=_(os_reason(exc)))
