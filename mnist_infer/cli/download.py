"""`mnist-infer download`: fetch MNIST and the book's weights into the data directory, verified."""

from __future__ import annotations

from pathlib import Path

import click

from ..catalog import BOOK_WEIGHTS
from ..i18n import _
from .options import Location, Number, command, data_dir_option, json_option


@command(
    "download",
    _(
        "Fetch MNIST and the book's weights into the data directory, verified against their checksums. "
        "The test split and two of the book's weights are copied from the package itself; other files "
        "come from your mirrors, then MNIST's mirrors (S3, Google Cloud, the Korean edition's "
        "repository) and the book's repositories. A file already present and verified is not fetched "
        "again; an interrupted download resumes."
    ),
    _("Fetch MNIST and the book's weights, verified."),
    """
mnist-infer download
mnist-infer download --split train --no-weights
mnist-infer download --weights params.pkl --split test
mnist-infer download --split test --mirror /media/usb/mnist --only-mirrors""",
)
@click.option(
    "--split",
    type=click.Choice(["all", "train", "test"]),
    default="all",
    show_default=True,
    help=_("Which MNIST files to fetch."),
)
@click.option(
    "--weights",
    "chosen",
    multiple=True,
    type=click.Choice(BOOK_WEIGHTS),
    metavar=_("NAME"),
    help=_("Which of the book's weights to fetch (repeatable) [default: all three]."),
)
@click.option("--no-weights", is_flag=True, help=_("Fetch none of the book's weights."))
@data_dir_option
@click.option(
    "--mirror",
    "mirrors",
    multiple=True,
    type=Location(),
    metavar=_("URL_OR_DIR"),
    help=_(
        "Base URL or local directory holding the files under their canonical names; tried first "
        "(repeatable; also $MNIST_INFER_MIRRORS, comma-separated)."
    ),
)
@click.option("--only-mirrors", is_flag=True, help=_("Try only the given mirrors (and the package's own copies)."))
@click.option("--force", is_flag=True, help=_("Fetch again even files that are present and verified."))
@click.option(
    "--timeout",
    type=Number(min=0.1, max=3600.0),
    default=30.0,
    show_default=True,
    help=_("Seconds to wait for a server to connect or to send more bytes."),
)
@click.option("-v", "--verbose", is_flag=True, help=_("List every source tried for a file that failed."))
@json_option
def download(
    split: str,
    chosen: tuple[str, ...],
    no_weights: bool,
    data_dir: Path | None,
    mirrors: tuple[str, ...],
    only_mirrors: bool,
    force: bool,
    timeout: float,
    verbose: bool,
    as_json: bool,
) -> None:
    from ..download import download as fetch
    from ..download import mirrors_from, plan
    from ..paths import data_dir as resolve
    from ..views import download_progress, emit

    if no_weights and chosen:
        raise click.UsageError(_("--weights and --no-weights contradict each other: give one of them"))
    sources = mirrors_from(mirrors)
    if only_mirrors and not sources:
        raise click.UsageError(_("--only-mirrors needs --mirror URL_OR_DIR (or $MNIST_INFER_MIRRORS)"))
    directory = resolve(data_dir)
    if directory is None:
        raise click.UsageError(_("no home directory to keep the data in: give --data-dir DIR or $MNIST_INFER_HOME"))
    targets = plan(split, weights=() if no_weights else chosen or None, mirrors=sources, only_mirrors=only_mirrors)
    with download_progress(as_json) as progress:
        report = fetch(directory, targets, force=force, timeout=(min(10.0, timeout), timeout), progress=progress)
    emit(report, as_json)
    if verbose:
        for item in report.failed:
            for attempt in item.attempts:
                click.echo(f"{item.name}: {attempt.source}: {attempt.error}", err=True)
    if report.failed:
        raise report.error(mirrored=bool(sources), verbose=verbose)
