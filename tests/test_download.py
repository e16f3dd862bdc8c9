"""Downloads against a real HTTP server on 127.0.0.1 that misbehaves on purpose, the package's own copies, and local
mirrors.

The package's copies are in every plan (first; after the user's mirrors with --only-mirrors), so the tests of what
a server does name the server's locations themselves (:func:`from_server`); the command line meets the server for a
file the package does not ship (``params.pkl``, from ../shared).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import faulty_server
from conftest import TEST_FILES, file_size_limit, packaged, shared_path
from mnist_infer.catalog import BOOK_WEIGHTS, FILES
from mnist_infer.cli import cli
from mnist_infer.download import USER_AGENT, Target, download, plan
from mnist_infer.errors import DownloadError, UnsafePathError

IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"
WEIGHTS = "sample_weight.pkl"
PACKAGED = (IMAGES, LABELS, WEIGHTS, "deep_convnet_params.pkl")
FAST = {"timeout": (1.0, 0.5), "retries": 2, "backoff": 0.01}


@pytest.fixture
def server():
    """Two mirrors on one server, /a/ and /b/, both holding the package's copies (the test split, two weights)."""
    state = faulty_server.FaultyServer()
    for name in PACKAGED:
        content = packaged(name).read_bytes()
        for mirror in ("a", "b"):
            state.files[f"/{mirror}/{name}"] = content
    httpd, _thread = faulty_server.start(state)
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def params_on_server(server):
    """The chapter 7 weights on mirror /a/: a file the package does not ship, so the command line fetches it."""
    server.files["/a/params.pkl"] = shared_path("weights/params.pkl").read_bytes()
    return server


def download_cli(runner: CliRunner, data_dir: Path, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli, ["download", "--data-dir", str(data_dir), *args], env=env)


def from_server(server, *names: str, mirrors: tuple[str, ...] = ("a",)) -> list[Target]:
    """Targets for ``names`` whose locations are the server's mirrors only (no packaged copy)."""
    return [Target(FILES[name], tuple(f"{server.url}/{m}/{name}" for m in mirrors)) for name in names]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_verified(directory: Path, *names: str) -> None:
    for name in names:
        assert sha256(directory / name) == FILES[name].sha256
    assert not list(directory.glob("*.part")) and not list(directory.glob(".*.tmp"))


def error_lines(result) -> list[str]:
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    return result.stderr.strip().splitlines()


# --- the plan and the package's own copies --------------------------------------------------------------------


def test_plan_orders_sources_packaged_copy_then_mirrors() -> None:
    targets = plan("test", mirrors=["http://m/", "/local"])
    assert [t.known.name for t in targets] == [*TEST_FILES, *BOOK_WEIGHTS]  # the book's three weights by default
    assert BOOK_WEIGHTS == (WEIGHTS, "params.pkl", "deep_convnet_params.pkl")
    assert targets[0].locations[:4] == (
        str(packaged(IMAGES)),
        "http://m/" + IMAGES,
        "/local/" + IMAGES,
        "https://ossci-datasets.s3.amazonaws.com/mnist/" + IMAGES,
    )
    assert targets[0].locations[-1].startswith("https://github.com/WegraLee/deep-learning-from-scratch/raw/master/")
    weights = {t.known.name: t.locations for t in targets[2:]}
    assert weights[WEIGHTS][0] == str(packaged(WEIGHTS))
    assert weights[WEIGHTS][3].startswith("https://raw.githubusercontent.com/oreilly-japan/")
    assert weights["deep_convnet_params.pkl"][0] == str(packaged("deep_convnet_params.pkl"))
    assert weights["params.pkl"][:2] == ("http://m/params.pkl", "/local/params.pkl")  # not packaged
    train = plan("all", weights=())
    assert [t.known.name for t in train] == [*TEST_FILES, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert train[2].locations[0].startswith("https://")  # the train split is not packaged
    chosen = plan("train", weights=["params.pkl"])
    assert [t.known.name for t in chosen][2:] == ["params.pkl"]
    # Only the mirrors: and the package's copies after them, which need no network.
    only = {t.known.name: t.locations for t in plan("test", mirrors=["/x"], only_mirrors=True)}
    assert only[IMAGES] == ("/x/" + IMAGES, str(packaged(IMAGES)))
    assert only["params.pkl"] == ("/x/params.pkl",)
    with pytest.raises(DownloadError, match="unknown split 'validation'; expected all, train or test"):
        plan("validation")


def test_download_of_packaged_files_copies_them_without_network(tmp_path: Path, runner: CliRunner) -> None:
    packaged_only = ("--weights", WEIGHTS, "--weights", "deep_convnet_params.pkl")
    result = download_cli(runner, tmp_path, "--split", "test", *packaged_only, "--json")
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert [f["file"] for f in files] == list(PACKAGED)
    assert [f["status"] for f in files] == ["downloaded"] * 4 and all(f["verified"] == "sha256" for f in files)
    assert [f["source"] for f in files] == [str(packaged(name)) for name in PACKAGED]
    assert_verified(tmp_path, *PACKAGED)
    table = download_cli(runner, tmp_path / "again", "--split", "test", *packaged_only, env={"COLUMNS": "200"})
    assert table.exit_code == 0 and table.stdout.count("packaged with mnist-infer") == 4
    assert table.stdout.count("copied") == 4 and "downloaded" not in table.stdout  # nothing came over the network


def test_packaged_copies_are_used_with_only_mirrors_too(tmp_path: Path, runner: CliRunner) -> None:
    nowhere = tmp_path / "nowhere"
    result = download_cli(
        runner, tmp_path / "data", "--split", "test", "--weights", WEIGHTS, "--only-mirrors", "--mirror", str(nowhere)
    )
    assert result.exit_code == 0, result.output
    assert_verified(tmp_path / "data", IMAGES, LABELS, WEIGHTS)


def test_no_weights_and_a_chosen_one(tmp_path: Path, runner: CliRunner) -> None:
    result = download_cli(runner, tmp_path, "--split", "test", "--no-weights", "--json")
    assert result.exit_code == 0, result.output
    assert [f["file"] for f in json.loads(result.stdout)["files"]] == list(TEST_FILES)
    result = download_cli(runner, tmp_path, "--split", "test", "--weights", "deep_convnet_params.pkl", "--json")
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert [(f["file"], f["status"]) for f in files] == [
        (IMAGES, "present"),
        (LABELS, "present"),
        ("deep_convnet_params.pkl", "downloaded"),
    ]
    assert not (tmp_path / WEIGHTS).exists() and not (tmp_path / "params.pkl").exists()
    unknown = download_cli(runner, tmp_path, "--weights", "mine.pkl")
    assert unknown.exit_code == 2 and "mine.pkl" in unknown.stderr


# --- one server, misbehaving --------------------------------------------------------------------------------


def test_happy_path_and_user_agent(server, tmp_path: Path) -> None:
    report = download(tmp_path, from_server(server, IMAGES, LABELS, WEIGHTS), **FAST)
    assert [r.status for r in report.files] == ["downloaded"] * 3 and not report.failed
    assert [r.source for r in report.files] == [f"{server.url}/a/{name}" for name in (IMAGES, LABELS, WEIGHTS)]
    assert_verified(tmp_path, IMAGES, LABELS, WEIGHTS)
    assert len(server.requests) == 3 and all(r.user_agent == USER_AGENT for r in server.requests)
    assert USER_AGENT.startswith("mnist-infer/0.")
    assert report.to_dict()["files"][0] == {
        "file": IMAGES,
        "path": str(tmp_path / IMAGES),
        "status": "downloaded",
        "bytes": FILES[IMAGES].size,
        "verified": "sha256",
        "source": f"{server.url}/a/{IMAGES}",
        "errors": [],
    }


def test_second_run_needs_no_network_and_force_refetches(server, tmp_path: Path) -> None:
    targets = from_server(server, IMAGES, LABELS)
    download(tmp_path, targets, **FAST)
    count = len(server.requests)
    assert [r.status for r in download(tmp_path, targets, **FAST).files] == ["present", "present"]
    assert len(server.requests) == count
    assert [r.status for r in download(tmp_path, targets, force=True, **FAST).files] == ["downloaded"] * 2
    assert len(server.requests) == count + 2


def test_404_moves_on_at_once_and_500_is_retried_then_falls_back(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, 404)
    server.fail("/a/" + LABELS, 500, 500, 500)
    report = download(tmp_path, from_server(server, IMAGES, LABELS, mirrors=("a", "b")), **FAST)
    assert [r.source for r in report.files] == [f"{server.url}/b/{IMAGES}", f"{server.url}/b/{LABELS}"]
    assert len(server.requested("/a/" + IMAGES)) == 1  # no retry after a 404
    assert len(server.requested("/a/" + LABELS)) == 3  # first try and two retries
    assert report.files[0].attempts[0].error == "HTTP 404 Not Found"
    assert report.files[1].attempts[0].error.startswith("HTTP 500")
    assert_verified(tmp_path, *TEST_FILES)


def test_a_single_500_is_retried_on_the_same_mirror(server, tmp_path: Path) -> None:
    server.fail("/a/" + LABELS, 503)
    (report,) = download(tmp_path, from_server(server, LABELS, mirrors=("a", "b")), **FAST).files
    assert report.source == f"{server.url}/a/{LABELS}" and report.status == "downloaded"


def test_connection_cut_mid_body_resumes_with_range(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, "cut")
    (report,) = download(tmp_path, from_server(server, IMAGES), **FAST).files
    assert report.status == "downloaded"
    first, second = server.requested("/a/" + IMAGES)
    assert first.range is None
    resumed_at = int(second.range.removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= FILES[IMAGES].size // 3  # what arrived before the cut is kept
    assert_verified(tmp_path, IMAGES)


def test_server_that_ignores_range_starts_over(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, "cut", "norange")
    (report,) = download(tmp_path, from_server(server, IMAGES), **FAST).files
    assert report.status == "downloaded" and server.requested("/a/" + IMAGES)[1].range is not None
    assert_verified(tmp_path, IMAGES)


def test_part_file_from_an_earlier_run_is_resumed(server, tmp_path: Path) -> None:
    (tmp_path / (IMAGES + ".part")).write_bytes(packaged(IMAGES).read_bytes()[:1000])
    download(tmp_path, from_server(server, IMAGES), **FAST)
    assert [r.range for r in server.requested("/a/" + IMAGES)] == ["bytes=1000-"]
    assert_verified(tmp_path, IMAGES)


def test_part_file_that_is_not_a_prefix_is_discarded(server, tmp_path: Path) -> None:
    (tmp_path / (IMAGES + ".part")).write_bytes(b"garbage from somewhere else" * 10)
    (report,) = download(tmp_path, from_server(server, IMAGES), **FAST).files
    assert report.status == "downloaded"
    assert [r.range for r in server.requested("/a/" + IMAGES)] == ["bytes=270-", None]
    assert_verified(tmp_path, IMAGES)


@pytest.mark.parametrize("fault", ["wrong", "html"])
def test_wrong_bytes_are_never_kept_and_the_next_mirror_is_tried(server, tmp_path: Path, fault: str) -> None:
    server.fail("/a/" + LABELS, fault)
    (report,) = download(tmp_path, from_server(server, LABELS, mirrors=("a", "b")), **FAST).files
    assert report.source == f"{server.url}/b/{LABELS}"
    error = report.attempts[0].error
    assert error.startswith("wrong bytes: expected sha256 " + FILES[LABELS].sha256 + ", got ")
    assert_verified(tmp_path, LABELS)


def test_wrong_bytes_everywhere_leave_nothing_on_disk(server, tmp_path: Path, runner: CliRunner) -> None:
    for mirror, fault in (("a", "wrong"), ("b", "html")):
        server.files[f"/{mirror}/params.pkl"] = b"served as it is asked to misbehave"
        server.fail(f"/{mirror}/params.pkl", fault)
    mirrors = ("--mirror", f"{server.url}/a", "--mirror", f"{server.url}/b/")
    result = download_cli(
        runner, tmp_path, "--split", "test", "--weights", "params.pkl", "--only-mirrors", *mirrors, "-v"
    )
    *attempts, line = error_lines(result)
    sha = FILES["params.pkl"].sha256
    assert line.startswith("Error: could not fetch params.pkl (1 of 3 file(s); tried 2 source(s), first: ")
    assert f"first: {server.url}/a/params.pkl: wrong bytes: expected sha256 {sha[:40]}" in line
    # Mirrors given and -v: the ways out still open are named, not those taken.
    assert line.endswith("); skip the weights with --no-weights")
    assert len(line) < 400
    assert len(attempts) == 2
    assert attempts[0].startswith(f"params.pkl: {server.url}/a/params.pkl: wrong bytes: expected sha256 {sha}, got ")
    assert attempts[1].startswith(f"params.pkl: {server.url}/b/params.pkl: wrong bytes")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mnist-infer-download.lock", *sorted(TEST_FILES)]


@pytest.mark.slow
def test_slow_server_times_out_and_falls_back(server, tmp_path: Path) -> None:
    server.fail("/a/" + LABELS, ("slow", 2.0), ("slow", 2.0), ("slow", 2.0))
    start = time.perf_counter()
    (report,) = download(tmp_path, from_server(server, LABELS, mirrors=("a", "b")), **FAST).files
    assert report.source == f"{server.url}/b/{LABELS}"
    assert "timed out" in report.attempts[0].error
    assert time.perf_counter() - start < 5


@pytest.mark.slow
def test_stalled_body_times_out_and_resumes(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, ("stall", 2.0))
    (report,) = download(tmp_path, from_server(server, IMAGES), **FAST).files
    assert report.status == "downloaded"
    first, second = server.requested("/a/" + IMAGES)
    assert first.range is None and second.range.startswith("bytes=") and second.range != "bytes=0-"
    assert_verified(tmp_path, IMAGES)


def test_endless_body_is_cut_at_the_size_limit(server, tmp_path: Path) -> None:
    server.fail("/a/" + LABELS, "endless")
    (report,) = download(tmp_path, from_server(server, LABELS, mirrors=("a", "b")), **FAST).files
    assert "sent more than" in report.attempts[0].error and report.status == "downloaded"


def test_regzipped_copy_is_accepted_by_content_hash(server, tmp_path: Path) -> None:
    content = gzip.decompress(server.files["/a/" + LABELS])
    server.files["/a/" + LABELS] = gzip.compress(content, compresslevel=1, mtime=12345)
    (report,) = download(tmp_path, from_server(server, LABELS), **FAST).files
    assert report.status == "downloaded" and report.verified == "content-sha256"
    assert gzip.decompress((tmp_path / LABELS).read_bytes()) == content


def test_corrupt_present_file_is_fetched_again(server, tmp_path: Path) -> None:
    (tmp_path / LABELS).write_bytes(b"<html>404</html>")
    (report,) = download(tmp_path, from_server(server, LABELS), **FAST).files
    assert report.status == "downloaded" and "does not verify" in report.attempts[0].error
    assert_verified(tmp_path, LABELS)


@pytest.mark.slow
def test_unreachable_hosts_fail_fast_with_every_answer(tmp_path: Path, runner: CliRunner) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/mnist/"
    start = time.perf_counter()
    mirrors = ("--only-mirrors", "--mirror", dead, "--mirror", str(tmp_path / "nowhere"), "--verbose")
    result = download_cli(runner, tmp_path / "new", *mirrors)
    assert time.perf_counter() - start < 5
    *attempts, line = error_lines(result)
    failed = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "params.pkl")
    assert line.startswith(f"Error: could not fetch {', '.join(failed)} (3 of 7 file(s); tried 2 source(s), ")
    assert f"first: {dead}train-images-idx3-ubyte.gz: " in line and "connection refused)" in line
    assert line.endswith("; skip the weights with --no-weights")
    for name in failed:
        assert f"{name}: {dead}{name}: connection refused" in attempts or any(
            a.startswith(f"{name}: {dead}{name}: skipped") for a in attempts
        )
        assert f"{name}: {tmp_path / 'nowhere' / name}: no such file" in attempts
    assert len(attempts) == 6
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [".mnist-infer-download.lock", *sorted(PACKAGED)]


def test_local_directory_mirrors_and_a_missing_file(tmp_path: Path, runner: CliRunner) -> None:
    """A mirror directory holding the train labels but not the images, and a file:// one holding params.pkl."""
    mnist_dir, weights_dir = tmp_path / "usb" / "mnist", tmp_path / "usb" / "book weights"
    mnist_dir.mkdir(parents=True)
    weights_dir.mkdir()
    (mnist_dir / "train-labels-idx1-ubyte.gz").symlink_to(shared_path("mnist/train-labels-idx1-ubyte.gz"))
    (weights_dir / "params.pkl").symlink_to(shared_path("weights/params.pkl"))
    data = tmp_path / "data"
    result = download_cli(
        runner,
        data,
        "--only-mirrors",
        "--json",
        "--mirror",
        str(mnist_dir),
        env={"MNIST_INFER_MIRRORS": weights_dir.as_uri()},
    )
    assert result.exit_code == 1
    report = {f["file"]: f for f in json.loads(result.stdout)["files"]}
    assert report["train-images-idx3-ubyte.gz"]["status"] == "failed"
    assert report["train-images-idx3-ubyte.gz"]["errors"] == [
        {"source": str(mnist_dir / "train-images-idx3-ubyte.gz"), "error": "no such file"},
        {"source": str(weights_dir / "train-images-idx3-ubyte.gz"), "error": "no such file"},
    ]
    assert report["train-labels-idx1-ubyte.gz"]["source"] == str(mnist_dir / "train-labels-idx1-ubyte.gz")
    assert report["params.pkl"]["source"] == str(weights_dir / "params.pkl")
    for name in ("train-labels-idx1-ubyte.gz", "params.pkl", *PACKAGED):
        assert report[name]["status"] == "downloaded" and report[name]["verified"] == "sha256"
    assert_verified(data, "train-labels-idx1-ubyte.gz", "params.pkl", *PACKAGED)
    assert not (data / "train-images-idx3-ubyte.gz").exists()
    assert not (data / "params.pkl").is_symlink()  # a copy, not a link to the mirror
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: could not fetch train-images-idx3-ubyte.gz (1 of 7 file(s); tried 2 ")
    assert "--no-weights" not in line  # no weights failed


def test_two_downloads_at_once_do_not_corrupt_the_directory(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, ("slow", 0.3))
    targets = from_server(server, IMAGES, LABELS, WEIGHTS)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(download(tmp_path, targets, **FAST))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(tuple(r.status for r in report.files) for report in results)
    assert statuses == [("downloaded",) * 3, ("present",) * 3]  # the second waited, then found them verified
    assert len(server.requested("/a/" + IMAGES)) == 1
    assert_verified(tmp_path, IMAGES, LABELS, WEIGHTS)


def test_download_cli_table_in_a_pipe(params_on_server, tmp_path: Path, runner: CliRunner) -> None:
    server = params_on_server
    args = ("--split", "test", "--weights", "params.pkl", "--mirror", f"{server.url}/a/")
    result = download_cli(runner, tmp_path, *args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "params.pkl" in result.stdout and "sha256 ✓" in result.stdout
    assert result.stdout.count("packaged with mnist-infer") == 2 and f"{server.url}/a/" in result.stdout
    assert result.stdout.count("downloaded") == 1 and result.stdout.count("copied") == 2
    assert "\r" not in result.stdout  # no animation in a pipe
    assert [r.path for r in server.requests] == ["/a/params.pkl"]
    again = download_cli(runner, tmp_path, *args)
    assert again.stdout.count("present") == 3 and "already here" in again.stdout
    assert len(server.requests) == 1


def test_read_only_data_directory_with_everything_present(data_dir: Path) -> None:
    data_dir.chmod(0o555)
    try:
        targets = plan("test", weights=[WEIGHTS], mirrors=["/nowhere"], only_mirrors=True)
        assert [r.status for r in download(data_dir, targets).files] == ["present"] * 3
        assert not (data_dir / ".mnist-infer-download.lock").exists()
    finally:
        data_dir.chmod(0o755)


def test_only_mirrors_without_mirrors_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = download_cli(runner, tmp_path, "--only-mirrors")
    assert result.exit_code == 2 and "--only-mirrors needs --mirror" in result.stderr
    assert not tmp_path.joinpath(".mnist-infer-download.lock").exists()


def test_progress_bars_on_a_terminal(params_on_server, tmp_path: Path, runner: CliRunner) -> None:
    mirror = f"{params_on_server.url}/a/"
    args = ("--split", "test", "--weights", "params.pkl", "--mirror", mirror)
    result = download_cli(runner, tmp_path, *args, env={"FORCE_COLOR": "1"})
    assert result.exit_code == 0, result.output
    before_table = result.stdout.split("Data directory")[0]
    assert "\x1b[2K" in before_table and IMAGES in before_table and "params.pkl" in before_table  # live, redrawn
    assert "/1.6 MB" in before_table and "/3.5 MB" in before_table


def test_a_full_disk_is_one_clear_error(server, tmp_path: Path, runner: CliRunner) -> None:
    with file_size_limit(100_000):
        result = download_cli(runner, tmp_path / "cli", "--split", "test", "--no-weights")  # the packaged copy
        with pytest.raises(DownloadError) as caught:
            download(tmp_path / "lib", from_server(server, IMAGES), **FAST)  # from the server
    cli_part, lib_part = tmp_path / "cli" / (IMAGES + ".part"), tmp_path / "lib" / (IMAGES + ".part")
    assert error_lines(result) == [f"Error: {cli_part}: cannot write (File too large); the partial file is kept"]
    assert str(caught.value) == f"{lib_part}: cannot write (File too large); the partial file is kept"
    assert lib_part.stat().st_size == 100_000
    assert not (tmp_path / "cli" / IMAGES).exists() and not (tmp_path / "lib" / IMAGES).exists()


# --- hostile servers and shared directories ------------------------------------------------------------------


@pytest.fixture
def quick_deadline(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Timeouts of 0.25 s and a minimum rate so high that a location's deadline is its grace, 3 × 0.5 = 1.5 s."""
    import mnist_infer.download

    monkeypatch.setattr(mnist_infer.download, "MIN_RATE", 1 << 40)
    return {"timeout": (0.25, 0.25), "retries": 2, "backoff": 0.01}


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["trickle", "trickle-headers"])
def test_a_trickling_server_is_left_at_its_deadline(server, tmp_path: Path, quick_deadline, fault: str) -> None:
    server.fail("/a/" + LABELS, (fault, 0.05))  # a byte every 50 ms: never a timeout between bytes
    start = time.perf_counter()
    (report,) = download(tmp_path, from_server(server, LABELS, mirrors=("a", "b")), **quick_deadline).files
    assert time.perf_counter() - start < 10  # it ends (without a deadline: 4,542 bytes at 20 a second)
    assert report.source == f"{server.url}/b/{LABELS}" and report.status == "downloaded"
    assert report.attempts[0].error.startswith("too slow: ") and "after 2 s" in report.attempts[0].error
    assert_verified(tmp_path, LABELS)


@pytest.mark.slow
def test_the_deadline_moves_with_the_bytes_that_arrive(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that takes longer than the grace, but sends faster than the minimum rate, is never left."""
    import mnist_infer.download

    monkeypatch.setattr(mnist_infer.download, "MIN_RATE", 256 * 1024)  # bytes a second
    server.fail("/a/" + IMAGES, ("paced", 800 * 1024))  # 1.6 MB in 2 s: a deadline that stood still cuts at 1.5 s
    start = time.perf_counter()
    (report,) = download(tmp_path, from_server(server, IMAGES), timeout=(0.25, 0.25), retries=0).files
    assert time.perf_counter() - start > 1.5  # longer than the grace, 3 × 0.5 s
    assert report.status == "downloaded" and report.attempts == []
    assert len(server.requested("/a/" + IMAGES)) == 1
    assert_verified(tmp_path, IMAGES)


@pytest.mark.parametrize("length", ["²", "٣", "-5", " 12", "0x10", "9" * 30])
def test_odd_content_lengths_are_not_trusted(server, tmp_path: Path, length: str) -> None:
    server.fail("/a/" + LABELS, ("length", length))
    (report,) = download(tmp_path, from_server(server, LABELS), **FAST).files
    # Taken as the server states it where HTTP says so (" 12" is 12 bytes: then the wrong bytes are refused), or
    # ignored; never an exception.
    if report.status != "downloaded":
        assert report.attempts[0].error.startswith(("wrong bytes", "announces")), report.attempts
    assert length.strip() == "12" or report.status == "downloaded"
    assert not list(tmp_path.glob("*.part"))


def test_resume_never_appends_through_a_link(server, tmp_path: Path, runner: CliRunner) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    for data in (tmp_path / "cli", tmp_path / "lib"):
        data.mkdir()
        (data / (IMAGES + ".part")).symlink_to(victim)  # planted in a shared directory
    result = download_cli(runner, tmp_path / "cli", "--split", "test", "--no-weights")  # the packaged copy
    assert error_lines(result) == [
        f"Error: {tmp_path / 'cli' / (IMAGES + '.part')}: exists as a symbolic link, not a regular file; "
        "refusing to write over it (remove it, or choose another name)"
    ]
    with pytest.raises(UnsafePathError, match="exists as a symbolic link"):
        download(tmp_path / "lib", from_server(server, IMAGES), **FAST)
    assert victim.read_bytes() == b"precious"
    assert server.requested("/a/" + IMAGES) == []  # refused before asking for anything


def test_a_part_file_with_another_link_is_started_over_not_extended(server, tmp_path: Path) -> None:
    content = packaged(IMAGES).read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(content[:1000])
    data = tmp_path / "data"
    data.mkdir()
    os.link(elsewhere, data / (IMAGES + ".part"))  # a hard link: a regular file, but not ours alone
    download(data, from_server(server, IMAGES), **FAST)
    assert [r.range for r in server.requested("/a/" + IMAGES)] == [None]  # no resume
    assert elsewhere.read_bytes() == content[:1000]
    assert_verified(data, IMAGES)


def test_a_part_file_of_another_user_is_started_over(server, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    part = tmp_path / (IMAGES + ".part")
    part.write_bytes(packaged(IMAGES).read_bytes()[:1000])
    os.chown(part, 12345, 12345)
    download(tmp_path, from_server(server, IMAGES), **FAST)
    assert [r.range for r in server.requested("/a/" + IMAGES)] == [None]
    assert_verified(tmp_path, IMAGES)


def test_a_file_far_too_large_is_not_hashed(tmp_path: Path) -> None:
    with open(tmp_path / LABELS, "wb") as f:
        f.truncate(20 * 1024**3)  # 20 GB of holes: hashing them would take a minute
    start = time.perf_counter()
    (report,) = download(tmp_path, plan("test", weights=())[1:]).files  # the packaged copy
    assert time.perf_counter() - start < 5
    assert report.status == "downloaded" and report.source == str(packaged(LABELS))
    assert report.attempts[0].error == "present but does not verify; fetching again"
    assert_verified(tmp_path, LABELS)


@pytest.mark.parametrize("timeout", [(float("nan"), 1.0), (1.0, float("inf")), (1e308, 1.0), (0.0, 1.0)])
def test_the_library_refuses_timeouts_that_are_not_sane(tmp_path: Path, timeout) -> None:
    with pytest.raises(DownloadError, match="expected seconds between 0 and 3600"):
        download(tmp_path, plan("test", mirrors=["/nowhere"], only_mirrors=True), timeout=timeout)
    assert not tmp_path.joinpath(IMAGES).exists()


def test_a_failure_names_the_ways_out_not_yet_taken(tmp_path: Path, runner: CliRunner) -> None:
    nowhere = str(tmp_path / "nowhere")
    bare = download_cli(runner, tmp_path / "a", "--split", "test", "--weights", "params.pkl", "--only-mirrors",
                        "--mirror", nowhere)  # fmt: skip
    line = error_lines(bare)[-1]
    assert "--mirror DIR_OR_URL" not in line and line.endswith("; -v lists every source tried")
    assert "; skip the weights with --no-weights" in line
    from mnist_infer.download import Attempt, DownloadReport, FileReport

    failed = FileReport("params.pkl", tmp_path / "params.pkl", "failed", attempts=[Attempt("https://x/", "refused")])
    line = DownloadReport(tmp_path, [failed]).error().render()
    assert line.endswith("; give a copy with --mirror DIR_OR_URL or $MNIST_INFER_MIRRORS; skip the weights with "
                         "--no-weights; -v lists every source tried")  # fmt: skip
