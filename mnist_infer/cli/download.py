"""`mnist-infer download`: fetch MNIST and the book's weights, verified."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from .options import data_dir_option, debug_option, echo_lines, json_option, make_console, print_json, to_terminal


def _finite(value: float) -> float:
    if value != value:  # NaN passes FloatRange's comparisons
        raise click.BadParameter(f"{value} is not a number of seconds", param_hint="'--timeout'")
    return value


@click.command()
@debug_option
@click.option(
    "--split",
    type=click.Choice(["all", "train", "test"]),
    default="all",
    show_default=True,
    help="Which MNIST files to fetch.",
)
@data_dir_option
@click.option(
    "--mirror",
    "mirrors",
    multiple=True,
    metavar="URL_OR_DIR",
    help="Base URL or local directory holding the files under their canonical names; tried first "
    "(repeatable; also $MNIST_INFER_MIRRORS, comma-separated).",
)
@click.option("--only-mirrors", is_flag=True, help="Try only the given mirrors, not the public hosts.")
@click.option("--no-weights", is_flag=True, help="Do not fetch the book's sample_weight.pkl.")
@click.option("--force", is_flag=True, help="Fetch again even files that are present and verified.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=3600.0),
    callback=lambda _ctx, _param, value: _finite(value),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a server to connect or to send more bytes.",
)
@click.option("-v", "--verbose", is_flag=True, help="List every source tried for a file that failed.")
@json_option
def download(
    split: str,
    data_dir: Path | None,
    mirrors: tuple[str, ...],
    only_mirrors: bool,
    no_weights: bool,
    force: bool,
    timeout: float,
    verbose: bool,
    as_json: bool,
) -> None:
    """Fetch MNIST and the book's weights into the data directory, verified against their checksums.

    The test split and the book's weights are copied from the package itself (they ship with the tool). Other
    sources are tried in order: your mirrors, then ossci-datasets (S3), cvdf-datasets (Google Cloud), and the
    Korean edition's repository; for the weights, the book's repositories. A file already present and verified
    is not fetched again; an interrupted download resumes.

    \b
    Example:
      mnist-infer download
      mnist-infer download --split test --mirror /media/usb/mnist --only-mirrors
    """
    from ..download import download as fetch_all
    from ..download import failure_message, mirrors_from, plan
    from ..errors import DownloadError
    from ..locations import resolve_data_dir

    sources = mirrors_from(mirrors)
    if only_mirrors and not sources:
        raise click.UsageError("--only-mirrors needs --mirror URL_OR_DIR (or $MNIST_INFER_MIRRORS)")
    directory = resolve_data_dir(data_dir)
    targets = plan(split, weights=not no_weights, mirrors=sources, only_mirrors=only_mirrors)
    live = not as_json and to_terminal()  # Rich, and progress bars, on a terminal only
    console = make_console() if live else None
    if live:
        from ..render.downloads import DownloadProgress
    with DownloadProgress(console) if live else nullcontext() as progress:
        reports = fetch_all(directory, targets, force=force, timeout=(min(10.0, timeout), timeout), progress=progress)
    if as_json:
        print_json({"data_dir": str(directory), "files": [r.to_dict() for r in reports]})
    elif not live:
        from ..render import plain

        echo_lines(plain.downloads(reports, str(directory)))
    else:
        from ..render.downloads import render_download_report

        render_download_report(console, reports, str(directory))
    failed = [r for r in reports if r.status.value == "failed"]
    if verbose:
        for report in failed:
            for attempt in report.attempts:
                click.echo(f"{report.name}: {attempt.source}: {attempt.error}", err=True)
    if failed:
        raise DownloadError(failure_message(reports))
