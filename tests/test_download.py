"""Downloads against a real HTTP server on 127.0.0.1 that misbehaves on purpose, and local mirrors."""

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
from conftest import file_size_limit, shared_path
from mnist_infer.catalog import FILES
from mnist_infer.cli import cli
from mnist_infer.download import USER_AGENT, Source, download, plan

TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"
FAST = {"timeout": (1.0, 0.5), "retries": 2, "backoff": 0.01}


@pytest.fixture
def server():
    """Two mirrors on one server: /a/ and /b/, both holding the test split, train labels and the weights."""
    state = faulty_server.FaultyServer()
    for relative in (
        "mnist/" + IMAGES,
        "mnist/" + LABELS,
        "mnist/train-labels-idx1-ubyte.gz",
        "weights/sample_weight.pkl",
    ):
        content = shared_path(relative).read_bytes()
        for mirror in ("a", "b"):
            state.files[f"/{mirror}/{Path(relative).name}"] = content
    httpd, _thread = faulty_server.start(state)
    yield state
    httpd.shutdown()
    httpd.server_close()


def download_cli(runner: CliRunner, data_dir: Path, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli, ["download", "--data-dir", str(data_dir), *args], env=env)


def mirrors(server, *names: str) -> list[Source]:
    return [Source(f"{server.url}/{name}/") for name in names]


def test_plan_orders_sources_packaged_copy_then_mirrors() -> None:
    from mnist_infer.locations import packaged_file

    targets = plan("test", mirrors=[Source("http://m/"), Source("/local")])
    assert [t.known.name for t in targets] == [*TEST_FILES, "sample_weight.pkl"]
    assert targets[0].locations[:4] == (
        str(packaged_file(IMAGES)),
        "http://m/" + IMAGES,
        "/local/" + IMAGES,
        "https://ossci-datasets.s3.amazonaws.com/mnist/" + IMAGES,
    )
    assert targets[0].locations[-1].startswith("https://github.com/WegraLee/deep-learning-from-scratch/raw/master/")
    assert targets[-1].locations[0] == str(packaged_file("sample_weight.pkl"))
    assert targets[-1].locations[3].startswith("https://raw.githubusercontent.com/oreilly-japan/")
    train = plan("all", weights=False)
    assert [t.known.name for t in train] == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", *TEST_FILES]
    assert train[0].locations[0].startswith("https://")  # the train split is not packaged
    assert all(len(t.locations) == 1 for t in plan("test", mirrors=[Source("/x")], only_mirrors=True))


def test_download_of_a_packaged_file_copies_it_without_network(tmp_path: Path, runner: CliRunner) -> None:
    result = download_cli(runner, tmp_path, "--split", "test", "--json")
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert [f["status"] for f in files] == ["downloaded"] * 3 and all(f["verified"] == "sha256" for f in files)
    assert_verified(tmp_path, *TEST_FILES)
    table = download_cli(runner, tmp_path / "again", "--split", "test", env={"COLUMNS": "200"}).stdout
    assert table.count("packaged with mnist-infer") == 3


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_verified(directory: Path, *names: str) -> None:
    for name in names:
        assert sha256(directory / name) == FILES[name].sha256
    assert not list(directory.glob("*.part")) and not list(directory.glob(".*.tmp"))


def test_happy_path_and_user_agent(server, tmp_path: Path) -> None:
    reports = download(tmp_path, plan("test", mirrors=mirrors(server, "a"), only_mirrors=True), **FAST)
    assert [r.status for r in reports] == ["downloaded"] * 3
    assert_verified(tmp_path, *TEST_FILES)
    assert sha256(tmp_path / "sample_weight.pkl") == sha256(shared_path("weights/sample_weight.pkl"))
    assert all(r.user_agent == USER_AGENT for r in server.requests)
    assert USER_AGENT.startswith("mnist-infer/0.")


def test_second_run_needs_no_network_and_force_refetches(server, tmp_path: Path) -> None:
    targets = plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)
    download(tmp_path, targets, **FAST)
    count = len(server.requests)
    assert [r.status for r in download(tmp_path, targets, **FAST)] == ["present", "present"]
    assert len(server.requests) == count
    assert [r.status for r in download(tmp_path, targets, force=True, **FAST)] == ["downloaded"] * 2
    assert len(server.requests) == count + 2


def test_404_moves_on_at_once_and_500_is_retried_then_falls_back(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, 404)
    server.fail("/a/" + LABELS, 500, 500, 500)
    reports = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a", "b"), only_mirrors=True), **FAST
    )
    assert [r.source for r in reports] == [f"{server.url}/b/{IMAGES}", f"{server.url}/b/{LABELS}"]
    assert len(server.requested("/a/" + IMAGES)) == 1  # no retry after a 404
    assert len(server.requested("/a/" + LABELS)) == 3  # first try and two retries
    assert reports[0].attempts[0].error == "HTTP 404 Not Found"
    assert reports[1].attempts[0].error.startswith("HTTP 500")
    assert_verified(tmp_path, *TEST_FILES)


def test_a_single_500_is_retried_on_the_same_mirror(server, tmp_path: Path) -> None:
    server.fail("/a/" + LABELS, 503)
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a", "b"), only_mirrors=True)[1:], **FAST
    )
    assert report.source == f"{server.url}/a/{LABELS}" and report.status == "downloaded"


def test_connection_cut_mid_body_resumes_with_range(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, "cut")
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[:1], **FAST
    )
    assert report.status == "downloaded"
    first, second = server.requested("/a/" + IMAGES)
    assert first.range is None
    resumed_at = int(second.range.removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= FILES[IMAGES].size // 3  # what arrived before the cut is kept
    assert_verified(tmp_path, IMAGES)


def test_server_that_ignores_range_starts_over(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, "cut", "norange")
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[:1], **FAST
    )
    assert report.status == "downloaded" and server.requested("/a/" + IMAGES)[1].range is not None
    assert_verified(tmp_path, IMAGES)


def test_part_file_from_an_earlier_run_is_resumed(server, tmp_path: Path) -> None:
    content = shared_path("mnist/" + IMAGES).read_bytes()
    (tmp_path / (IMAGES + ".part")).write_bytes(content[:1000])
    download(tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[:1], **FAST)
    assert [r.range for r in server.requested("/a/" + IMAGES)] == ["bytes=1000-"]
    assert_verified(tmp_path, IMAGES)


def test_part_file_that_is_not_a_prefix_is_discarded(server, tmp_path: Path) -> None:
    (tmp_path / (IMAGES + ".part")).write_bytes(b"garbage from somewhere else" * 10)
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[:1], **FAST
    )
    assert report.status == "downloaded"
    assert [r.range for r in server.requested("/a/" + IMAGES)] == ["bytes=270-", None]
    assert_verified(tmp_path, IMAGES)


@pytest.mark.parametrize("fault", ["wrong", "html"])
def test_wrong_bytes_are_never_kept_and_the_next_mirror_is_tried(server, tmp_path: Path, fault: str) -> None:
    server.fail("/a/" + LABELS, fault)
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a", "b"), only_mirrors=True)[1:], **FAST
    )
    assert report.source == f"{server.url}/b/{LABELS}"
    error = report.attempts[0].error
    assert error.startswith("wrong bytes: expected sha256 " + FILES[LABELS].sha256 + ", got ")
    assert_verified(tmp_path, LABELS)


def test_wrong_bytes_everywhere_leave_nothing_on_disk(server, tmp_path: Path, runner: CliRunner) -> None:
    server.fail("/a/" + LABELS, "wrong")
    server.fail("/b/" + LABELS, "html")
    result = download_cli(
        runner,
        tmp_path,
        "--split",
        "test",
        "--no-weights",
        "--only-mirrors",
        "--mirror",
        f"{server.url}/a",
        "--mirror",
        f"{server.url}/b/",
        "-v",
    )
    assert result.exit_code == 1
    *attempts, line = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: could not fetch {LABELS} (1 of 2 file(s); tried 2 source(s), first: ")
    assert f"first: {server.url}/a/{LABELS}: wrong bytes: expected sha256 {FILES[LABELS].sha256[:40]}" in line
    assert line.endswith("give a copy with --mirror DIR_OR_URL or $MNIST_INFER_MIRRORS, or -v for details")
    assert len(line) < 400
    assert attempts[0].startswith(f"{LABELS}: {server.url}/a/{LABELS}: wrong bytes: expected sha256")
    assert attempts[1].startswith(f"{LABELS}: {server.url}/b/{LABELS}: wrong bytes")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mnist-infer-download.lock", IMAGES]


@pytest.mark.slow
def test_slow_server_times_out_and_falls_back(server, tmp_path: Path) -> None:
    server.fail("/a/" + LABELS, ("slow", 2.0), ("slow", 2.0), ("slow", 2.0))
    start = time.perf_counter()
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a", "b"), only_mirrors=True)[1:], **FAST
    )
    assert report.source == f"{server.url}/b/{LABELS}"
    assert "timed out" in report.attempts[0].error
    assert time.perf_counter() - start < 5


@pytest.mark.slow
def test_stalled_body_times_out_and_resumes(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, ("stall", 2.0))
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[:1], **FAST
    )
    assert report.status == "downloaded"
    first, second = server.requested("/a/" + IMAGES)
    assert first.range is None and second.range.startswith("bytes=") and second.range != "bytes=0-"
    assert_verified(tmp_path, IMAGES)


def test_endless_body_is_cut_at_the_size_limit(server, tmp_path: Path) -> None:
    server.fail("/a/" + LABELS, "endless")
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a", "b"), only_mirrors=True)[1:], **FAST
    )
    assert "sent more than" in report.attempts[0].error and report.status == "downloaded"


def test_regzipped_copy_is_accepted_by_content_hash(server, tmp_path: Path) -> None:
    content = gzip.decompress(server.files["/a/" + LABELS])
    server.files["/a/" + LABELS] = gzip.compress(content, compresslevel=1, mtime=12345)
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[1:], **FAST
    )
    assert report.status == "downloaded" and report.verified == "content-sha256"
    assert gzip.decompress((tmp_path / LABELS).read_bytes()) == content


def test_corrupt_present_file_is_fetched_again(server, tmp_path: Path) -> None:
    (tmp_path / LABELS).write_bytes(b"<html>404</html>")
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[1:], **FAST
    )
    assert report.status == "downloaded" and "does not verify" in report.attempts[0].error
    assert_verified(tmp_path, LABELS)


@pytest.mark.slow
def test_unreachable_hosts_fail_fast_with_every_answer(tmp_path: Path, runner: CliRunner) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/mnist/"
    start = time.perf_counter()
    result = runner.invoke(
        cli,
        [
            "download",
            "--data-dir",
            str(tmp_path / "new"),
            "--only-mirrors",
            "--mirror",
            dead,
            "--mirror",
            str(tmp_path / "nowhere"),
            "--verbose",
        ],
    )
    assert time.perf_counter() - start < 5
    assert result.exit_code == 1 and "Traceback" not in result.output
    *attempts, line = result.stderr.strip().splitlines()
    assert line.startswith("Error: could not fetch train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, ")
    assert f"(5 of 5 file(s); tried 2 source(s), first: {dead}train-images-idx3-ubyte.gz: Connection refused)" in line
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "sample_weight.pkl"):
        assert f"{name}: {dead}{name}: Connection refused" in attempts or any(
            a.startswith(f"{name}: {dead}{name}: skipped") for a in attempts
        )
        assert f"{name}: {tmp_path / 'nowhere' / name}: no such file" in attempts
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [".mnist-infer-download.lock"]


def test_local_directory_mirrors_and_the_missing_train_images(tmp_path: Path, runner: CliRunner) -> None:
    mnist_dir, weights_dir = shared_path("mnist/" + IMAGES).parent, shared_path("weights/sample_weight.pkl").parent
    result = download_cli(
        runner,
        tmp_path,
        "--only-mirrors",
        "--json",
        "--mirror",
        str(mnist_dir),
        env={"MNIST_INFER_MIRRORS": f"file://{weights_dir}"},
    )
    assert result.exit_code == 1
    report = {f["file"]: f for f in json.loads(result.stdout)["files"]}
    assert report["train-images-idx3-ubyte.gz"]["status"] == "failed"
    assert report["train-images-idx3-ubyte.gz"]["errors"][0] == {
        "source": str(mnist_dir / "train-images-idx3-ubyte.gz"),
        "error": "no such file",
    }
    assert report["sample_weight.pkl"]["source"] == str(weights_dir / "sample_weight.pkl")
    for name in ("train-labels-idx1-ubyte.gz", *TEST_FILES):
        assert report[name]["status"] == "downloaded" and report[name]["verified"] == "sha256"
    assert_verified(tmp_path, "train-labels-idx1-ubyte.gz", *TEST_FILES)
    assert not (tmp_path / "train-images-idx3-ubyte.gz").exists()
    assert result.stderr.startswith("Error: could not fetch train-images-idx3-ubyte.gz (1 of 5 file(s); tried 2 ")


def test_two_downloads_at_once_do_not_corrupt_the_directory(server, tmp_path: Path) -> None:
    server.fail("/a/" + IMAGES, ("slow", 0.3))
    targets = plan("test", mirrors=mirrors(server, "a"), only_mirrors=True)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(download(tmp_path, targets, **FAST))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(tuple(r.status for r in reports) for reports in results)
    assert statuses == [("downloaded",) * 3, ("present",) * 3]  # the second waited, then found them verified
    assert len(server.requested("/a/" + IMAGES)) == 1
    assert_verified(tmp_path, *TEST_FILES)


def test_download_cli_table_in_a_pipe(server, tmp_path: Path, runner: CliRunner) -> None:
    result = download_cli(runner, tmp_path, "--split", "test", "--only-mirrors", "--mirror", f"{server.url}/a/")
    assert result.exit_code == 0, result.output
    assert "t10k-images-idx3-ubyte.gz" in result.stdout and "sha256 ✓" in result.stdout
    assert "downloaded" in result.stdout and "\r" not in result.stdout  # no animation in a pipe
    again = download_cli(runner, tmp_path, "--split", "test", "--only-mirrors", "--mirror", f"{server.url}/a/")
    assert again.stdout.count("present") == 3 and "already here" in again.stdout


def test_read_only_data_directory_with_everything_present(tmp_path: Path, data_dir: Path) -> None:
    data_dir.chmod(0o555)
    try:
        targets = plan("test", mirrors=[Source("/nowhere")], only_mirrors=True)
        assert [r.status for r in download(data_dir, targets)] == ["present"] * 3
        assert not (data_dir / ".mnist-infer-download.lock").exists()
    finally:
        data_dir.chmod(0o755)


def test_only_mirrors_without_mirrors_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = download_cli(runner, tmp_path, "--only-mirrors")
    assert result.exit_code == 2 and "--only-mirrors needs --mirror" in result.stderr


def test_progress_bars_on_a_terminal(server, tmp_path: Path, runner: CliRunner) -> None:
    result = download_cli(
        runner, tmp_path, "--split", "test", "--only-mirrors", "--mirror", f"{server.url}/a/", env={"FORCE_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    before_table = result.stdout.split("Data directory")[0]
    assert "\x1b[2K" in before_table and "t10k-images-idx3-ubyte.gz" in before_table  # live bars, redrawn
    assert "/1.6 MB" in before_table and "/181.9 kB" in before_table


def test_a_full_disk_is_one_clear_error(server, tmp_path: Path, runner: CliRunner) -> None:
    with file_size_limit(100_000):
        result = download_cli(
            runner, tmp_path, "--split", "test", "--no-weights", "--only-mirrors", "--mirror", f"{server.url}/a/"
        )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"Error: {tmp_path / (IMAGES + '.part')}: cannot write (File too large)")
    assert result.stderr.count("\n") == 1 and "the partial file is kept" in result.stderr
    assert not (tmp_path / IMAGES).exists()


# --- hostile servers and shared directories ------------------------------------------------------------------


@pytest.fixture
def quick_deadline(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Timeouts of 0.25 s and a minimum rate so high that a location's deadline is its grace, 3 × 0.5 = 1.5 s."""
    import mnist_infer.download.deadline

    monkeypatch.setattr(mnist_infer.download.deadline, "MIN_RATE", 1 << 40)
    return {"timeout": (0.25, 0.25), "retries": 2, "backoff": 0.01}


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["trickle", "trickle-headers"])
def test_a_trickling_server_is_left_at_its_deadline(server, tmp_path: Path, quick_deadline, fault: str) -> None:
    server.fail("/a/" + LABELS, (fault, 0.05))  # a byte every 50 ms: never a timeout between bytes
    start = time.perf_counter()
    targets = plan("test", weights=False, mirrors=mirrors(server, "a", "b"), only_mirrors=True)[1:]
    (report,) = download(tmp_path, targets, **quick_deadline)
    assert time.perf_counter() - start < 10  # it ends (without a deadline: 4,542 bytes at 20 a second)
    assert report.source == f"{server.url}/b/{LABELS}" and report.status == "downloaded"
    assert report.attempts[0].error.startswith("too slow: ") and "after 2 s" in report.attempts[0].error
    assert_verified(tmp_path, LABELS)


@pytest.mark.parametrize("length", ["²", "٣", "-5", " 12", "0x10", "9" * 30])
def test_odd_content_lengths_are_not_trusted(server, tmp_path: Path, length: str) -> None:
    server.fail("/a/" + LABELS, ("length", length))
    (report,) = download(
        tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[1:], **FAST
    )
    # Taken as the server states it where HTTP says so (" 12" is 12 bytes: then the wrong bytes are refused), or
    # ignored; never an exception.
    if report.status != "downloaded":
        assert report.attempts[0].error.startswith(("wrong bytes", "announces")), report.attempts
    assert length.strip() == "12" or report.status == "downloaded"
    assert not list(tmp_path.glob("*.part"))


def test_resume_never_appends_through_a_link(server, tmp_path: Path, runner: CliRunner) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    data = tmp_path / "data"
    data.mkdir()
    (data / (IMAGES + ".part")).symlink_to(victim)  # planted in a shared directory
    mirror = f"{server.url}/a/"
    result = download_cli(runner, data, "--split", "test", "--no-weights", "--only-mirrors", "--mirror", mirror)
    assert result.exit_code == 1 and victim.read_bytes() == b"precious"
    assert result.stderr == (
        f"Error: {data / (IMAGES + '.part')}: exists as a symbolic link, not a regular file; "
        "refusing to write over it (remove it, or choose another name)\n"
    )
    assert server.requested("/a/" + IMAGES) == []  # refused before asking for anything


def test_a_part_file_with_another_link_is_started_over_not_extended(server, tmp_path: Path) -> None:
    content = shared_path("mnist/" + IMAGES).read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(content[:1000])
    data = tmp_path / "data"
    data.mkdir()
    os.link(elsewhere, data / (IMAGES + ".part"))  # a hard link: a regular file, but not ours alone
    download(data, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[:1], **FAST)
    assert [r.range for r in server.requested("/a/" + IMAGES)] == [None]  # no resume
    assert elsewhere.read_bytes() == content[:1000]
    assert_verified(data, IMAGES)


def test_a_part_file_of_another_user_is_started_over(server, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    content = shared_path("mnist/" + IMAGES).read_bytes()
    part = tmp_path / (IMAGES + ".part")
    part.write_bytes(content[:1000])
    os.chown(part, 12345, 12345)
    download(tmp_path, plan("test", weights=False, mirrors=mirrors(server, "a"), only_mirrors=True)[:1], **FAST)
    assert [r.range for r in server.requested("/a/" + IMAGES)] == [None]
    assert_verified(tmp_path, IMAGES)


def test_a_file_far_too_large_is_not_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mnist_infer.download as downloads

    with open(tmp_path / LABELS, "wb") as f:
        f.truncate(20 * 1024**3)  # 20 GB of holes
    hashed: list[Path] = []
    real_verify = downloads.verify
    monkeypatch.setattr(downloads, "verify", lambda path, *a, **k: (hashed.append(path), real_verify(path, *a, **k))[1])
    mirror = shared_path("mnist/" + LABELS).parent
    (report,) = download(tmp_path, plan("test", weights=False, mirrors=[Source(str(mirror))], only_mirrors=True)[1:])
    assert report.status == "downloaded" and hashed == [tmp_path / (LABELS + ".part")]
    assert_verified(tmp_path, LABELS)


@pytest.mark.parametrize("timeout", [(float("nan"), 1.0), (1.0, float("inf")), (1e308, 1.0), (0.0, 1.0)])
def test_the_library_refuses_timeouts_that_are_not_sane(tmp_path: Path, timeout) -> None:
    from mnist_infer.errors import DownloadError

    with pytest.raises(DownloadError, match="expected seconds between 0 and 3600"):
        download(tmp_path, plan("test", mirrors=[Source("/nowhere")], only_mirrors=True), timeout=timeout)


@pytest.mark.slow
def test_the_deadline_moves_with_the_bytes_that_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    import mnist_infer.download.deadline as deadline

    monkeypatch.setattr(deadline, "MIN_RATE", 1000)  # bytes per second
    watchdog = deadline.Watchdog()

    def expires_within(seconds: float) -> bool:
        end = time.monotonic() + seconds
        while not watchdog.expired and time.monotonic() < end:
            time.sleep(0.02)
        return watchdog.expired

    watchdog.start(0.1)
    try:
        watchdog.progress(800)  # 800 bytes within the grace earn 0.8 s more
        time.sleep(0.3)
        assert not watchdog.late() and not watchdog.expired
        assert expires_within(5) and time.monotonic() - watchdog.started >= 0.9  # fired once the moved deadline passed
    finally:
        watchdog.stop()
    watchdog.start(0.1)
    assert expires_within(5)  # nothing arrived: shut at the end of the grace
    watchdog.stop()
