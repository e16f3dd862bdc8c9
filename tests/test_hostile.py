"""Hostile files, places and options: each met with one clear error, under a memory limit, nothing run.

Every case runs in ONE fresh interpreter whose address space is capped (tests/hostile_runner.py): weights that
would run code or take gigabytes, broken and bomb data files, bad pictures, links and devices where the tool
writes, and options that used to end in "internal error". The tests below assert on its outcomes case by case.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from conftest import BOOK_CORRECT, fuzz_examples, packaged
from mnist_infer.catalog import FILES
from mnist_infer.errors import WeightsError
from mnist_infer.model.network import Network, mlp
from mnist_infer.weights import read_weights, save_weights

MEMORY_LIMIT = 768 * 1024 * 1024  #: address space for all the cases; a normal evaluate peaks under 60 MiB RSS
RUNNER = Path(__file__).with_name("hostile_runner.py")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

MALICIOUS = sorted(hostile.malicious_weights(Path("/m")))
WRONG = sorted(hostile.wrong_weights())
BROKEN = sorted(hostile.broken_data(b"\0" * 16 + bytes(784), b"\0" * 8 + bytes(1)))
PAIRS = sorted(hostile.broken_pairs(b"", b""))
BAD_IMAGES = sorted(hostile.bad_images())
DATA_COMMANDS = {"evaluate": ["evaluate"], "evaluate-json": ["evaluate", "--json"], "predict": ["predict", "0"]}
DATA_COMMANDS["show"] = ["show", "0"]
#: Names the tool writes, each planted as something that must never be written through or replaced.
PLACES = ["save-onto-symlink", "save-onto-fifo", "save-onto-character-device", "errors-onto-symlink"]
PLACES += ["save-input-onto-symlink", "part-symlink", "part-directory", "lock-dangling-symlink"]


def _packaged_data(directory: Path, skip: tuple[str, ...] = ()) -> Path:
    """A data directory holding the packaged test split and sample_weight.pkl, but for ``skip``: hard links to one
    copy of each beside ``directory``'s parent (not symbolic links: a link to the package's own copy is the
    package's copy, whose parse caches go to the user cache directory, not beside it)."""
    directory.mkdir(parents=True)
    for name in (hostile.IMAGES, hostile.LABELS, "sample_weight.pkl"):
        if name not in skip:
            original = directory.parent / f".{name}"
            if not original.exists():
                shutil.copyfile(packaged(name), original)
            os.link(original, directory / name)
    return directory


def _write(path: Path, content) -> None:
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)


class Cases:
    """The cases for the runner, and the files they need, under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root, self.cases = root, []
        self.data = _packaged_data(root / "data")
        self.marker = root / "payload-ran"
        self.victim = root / "victim.txt"
        self.victim.write_text("not yours to overwrite\n")

    def add(self, case_id: str, argv: list[str] | None = None, **extra) -> None:
        self.cases.append({"id": case_id, "argv": argv, **extra})

    def weights(self) -> None:
        directory = self.root / "weights"
        directory.mkdir()
        files = {**hostile.malicious_weights(self.marker), **{k: v for k, (v, _) in hostile.wrong_weights().items()}}
        for name, content in files.items():
            path = directory / name
            path.write_bytes(content)
            self.add(f"load/{name}", call=["mnist_infer.weights", "read_weights", str(path)])
            self.add(f"evaluate/{name}", ["evaluate", "--data-dir", str(self.data), "--weights", str(path)])
            if name in MALICIOUS:
                self.add(f"predict/{name}", ["predict", "0", "--data-dir", str(self.data), "--weights", str(path)])

    def data_files(self, images: bytes, labels: bytes) -> None:
        for case, (replaced, content, _) in hostile.broken_data(images, labels).items():
            directory = _packaged_data(self.root / "broken" / case, skip=(replaced,))
            _write(directory / replaced, content)
            self._data_commands(case, directory)
        for case, (files, _, _) in hostile.broken_pairs(images, labels).items():
            directory = _packaged_data(self.root / "broken" / case, skip=tuple(files))
            for name, content in files.items():
                (directory / name).write_bytes(content)
            self._data_commands(case, directory)

    def _data_commands(self, case: str, directory: Path) -> None:
        for label, command in DATA_COMMANDS.items():
            self.add(f"{label}/{case}", [*command, "--data-dir", str(directory)])

    def images(self) -> None:
        directory = self.root / "images"
        directory.mkdir()
        for name, (content, _) in hostile.bad_images().items():
            (directory / name).write_bytes(content)
            self.add(f"image/{name}", ["predict", "--image", str(directory / name), "--data-dir", str(self.data)])

    def places(self) -> None:
        show = ["show", "0", "--data-dir", str(self.data), "--save"]
        places = self.root / "places"
        places.mkdir()
        (places / "link.png").symlink_to(self.victim)
        self.add("save-onto-symlink", [*show, str(places / "link.png")])
        os.mkfifo(places / "fifo.png")
        self.add("save-onto-fifo", [*show, str(places / "fifo.png")])
        if IS_ROOT:  # a node like /dev/null, made here rather than risking the real one
            os.mknod(places / "null.png", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            self.add("save-onto-character-device", [*show, str(places / "null.png")])
        errors = ["evaluate", "--data-dir", str(self.data), "--errors", str(places / "link.png")]
        self.add("errors-onto-symlink", errors)
        picture = places / "seven.png"
        _seven_png(picture)
        inputs = places / "inputs"
        inputs.mkdir()
        (inputs / "seven.png").symlink_to(self.victim)
        self.add("save-input-onto-symlink", ["predict", "--image", str(picture), "--save-input", str(inputs)])
        mirror = _packaged_data(self.root / "mirror", skip=("sample_weight.pkl",))
        fetch = ["download", "--split", "test", "--no-weights", "--only-mirrors", "--mirror", str(mirror), "--data-dir"]
        for case, plant in (
            ("part-symlink", lambda d: (d / (hostile.IMAGES + ".part")).symlink_to(self.victim)),
            ("part-directory", lambda d: (d / (hostile.IMAGES + ".part")).mkdir()),
            ("lock-dangling-symlink", lambda d: (d / ".mnist-infer-download.lock").symlink_to(self.root / "made")),
        ):
            target = self.root / "downloads" / case
            target.mkdir(parents=True)
            plant(target)
            self.add(case, [*fetch, str(target)])
        # A local mirror whose files are links to /proc/self/pagemap (says 0 bytes, streams gigabytes): the train
        # split, which the package does not ship, so that no packaged copy stands in for them.
        proc_mirror = self.root / "proc-mirror"
        proc_mirror.mkdir()
        for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
            (proc_mirror / name).symlink_to("/proc/self/pagemap")
        fetch_train = ["download", "--split", "train", "--no-weights", "--only-mirrors", "--mirror", str(proc_mirror)]
        self.add("mirror-proc-pagemap", [*fetch_train, "--data-dir", str(self.root / "from-proc")])
        # A 20 GB sparse file under the final name: turned away by its size, not hashed.
        sparse = self.root / "downloads" / "sparse-final"
        sparse.mkdir()
        with open(sparse / hostile.IMAGES, "wb") as f:
            f.truncate(20 * 1024**3)
        self.add("final-sparse-20GB", [*fetch, str(sparse)])

    def options(self) -> None:
        data = str(self.data)
        self.add("toy-nan-json", ["toy", "--x", "nan", "0", "--json"])
        self.add("toy-inf-json", ["toy", "--x", "1", "-inf", "--json"])
        loop = self.root / "loop-a.pkl"
        loop.symlink_to(self.root / "loop-b.pkl")
        (self.root / "loop-b.pkl").symlink_to(loop)
        self.add("weights-symlink-loop", ["evaluate", "--data-dir", data, "--weights", str(loop)])
        for value in ("nan", "1e308", "inf", "-1"):
            self.add(f"timeout-{value}", ["download", "--data-dir", str(self.root / "never"), "--timeout", value])
        no_home = {"HOME": None, "XDG_CACHE_HOME": None, "MNIST_INFER_HOME": None}
        self.add("no-home-with-data-dir", ["evaluate", "--json", "--data-dir", data], env=no_home, no_passwd=True)
        self.add("no-home-tilde-data-dir", ["evaluate", "--data-dir", "~/mnist"], env=no_home, no_passwd=True)
        self.add("no-home-no-data-dir", ["evaluate", "--json"], env=no_home, no_passwd=True)
        self.add("valid-run", ["evaluate", "--json", "--data-dir", data])
        # Pictures larger than anyone looks at: refused before a byte is allocated.
        strip = ["show", *map(str, range(1000)), "--data-dir", data, "--scale", "64"]
        self.add("show-1000-digits-at-scale-64", [*strip, "--save", str(self.root / "strip.png")])
        zeros = self.root / "zeros.pkl"  # every image classified 0: 9,020 mistakes
        zeros.write_bytes(pickle.dumps({k: np.zeros_like(v) for k, v in hostile.book_params().items()}))
        gallery = ["evaluate", "--data-dir", data, "--weights", str(zeros), "--errors-max", "100000"]
        self.add("gallery-of-9020-mistakes", [*gallery, "--errors", str(self.root / "gallery.png")])
        # Permissions: as another user when run by root (to whom permissions mean nothing).
        user = {"as_uid": 65534} if IS_ROOT else {}
        closed = _packaged_data(self.root / "closed" / "data")
        closed.chmod(0o000)
        self.add("data-dir-without-permission", ["evaluate", "--data-dir", str(closed)], **user)
        unreadable = self.root / "closed" / "weights.pkl"
        unreadable.write_bytes(packaged("sample_weight.pkl").read_bytes())
        unreadable.chmod(0o000)
        self.add("weights-without-permission", ["evaluate", "--weights", str(unreadable)], **user)
        self.add("download-without-permission", ["download", "--split", "test", "--data-dir", str(closed)], **user)
        # A planted cache whose header claims 50 million images, 39 GB of holes: never read, never trusted.
        from mnist_infer.data.cache import CACHE_DIR_NAME, cache_name, npy_header
        from mnist_infer.data.idx import IMAGES, inspect

        planted = _packaged_data(self.root / "planted-cache")
        cache = planted / CACHE_DIR_NAME / cache_name(inspect(planted / hostile.IMAGES, **IMAGES))
        cache.parent.mkdir()

        with open(cache, "wb") as f:
            f.write(npy_header((50_000_000, 28, 28)))
            f.truncate(len(npy_header((50_000_000, 28, 28))) + 50_000_000 * 784)
        self.add("cache-claiming-50-million", ["evaluate", "--json", "--data-dir", str(planted)])


def _seven_png(path: Path) -> None:
    from PIL import Image

    from mnist_infer.data.idx import read_images

    Image.fromarray(255 - read_images(packaged(hostile.IMAGES))[0]).save(path)


def start(root: Path) -> SimpleNamespace:
    """Build every case under ``root`` and start the runner on them, in the background.

    conftest.py may call this as soon as collection ends (and append to :data:`STARTED`), so that the runner's
    seconds pass on another core while other tests run; the ``run`` fixture waits for it, or starts it.
    """
    cases = Cases(root)
    cases.weights()
    cases.data_files(
        gzip.decompress(packaged(hostile.IMAGES).read_bytes()), gzip.decompress(packaged(hostile.LABELS).read_bytes())
    )
    cases.images()
    cases.places()
    cases.options()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "XDG_CACHE_HOME": str(root / "cache")}
    for name in ("MNIST_INFER_HOME", "MNIST_INFER_MIRRORS", "MNIST_INFER_DEBUG"):
        env.pop(name, None)
    (root / "cases.json").write_text(json.dumps(cases.cases))
    with (
        open(root / "cases.json") as cases_in,
        open(root / "outcomes.json", "w") as out,
        open(root / "err", "w") as err,
    ):
        process = subprocess.Popen(
            [sys.executable, str(RUNNER), str(MEMORY_LIMIT)], stdin=cases_in, stdout=out, stderr=err, env=env
        )
    return SimpleNamespace(root=root, cases=cases, process=process)


#: The runner started early by conftest.py, if it was.
STARTED: list[SimpleNamespace] = []


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Every case, run once in one subprocess under MEMORY_LIMIT; their outcomes by id."""
    started = STARTED[0] if STARTED else start(tmp_path_factory.mktemp("hostile"))
    assert started.process.wait(timeout=600) == 0, (started.root / "err").read_text()[-3000:]
    outcomes = {outcome["id"]: outcome for outcome in json.loads((started.root / "outcomes.json").read_text())}
    return SimpleNamespace(
        root=started.root, marker=started.cases.marker, victim=started.cases.victim, outcomes=outcomes
    )


def assert_one_error(outcome: dict, *words: str) -> str:
    """Exit 1, one line ``Error: …`` holding ``words``, nothing on stdout for --json, no traceback."""
    assert outcome["escaped"] is None, outcome["escaped"]
    assert outcome["exit_code"] == 1, outcome
    both = outcome["stdout"] + outcome["stderr"]
    assert "Traceback" not in both and "internal error" not in both, both
    lines = outcome["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), outcome["stderr"]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# --- weights ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MALICIOUS)
def test_malicious_weights_are_refused_and_never_run(name: str, run) -> None:
    path = run.root / "weights" / name
    assert "UnsafeWeightsError" in run.outcomes[f"load/{name}"]["raised"]
    assert_one_error(run.outcomes[f"evaluate/{name}"], str(path), "holds something other than numeric arrays")
    assert_one_error(run.outcomes[f"predict/{name}"], str(path), "nothing in it was run")
    assert not run.marker.exists(), "a payload in a weights file ran"


@pytest.mark.parametrize("name", WRONG)
def test_wrong_weights_say_what_is_wrong(name: str, run) -> None:
    _, words = hostile.wrong_weights()[name]
    path = run.root / "weights" / name
    raised = run.outcomes[f"load/{name}"]["raised"]
    assert "WeightsError" in raised and "UnsafeWeightsError" not in raised, raised
    line = assert_one_error(run.outcomes[f"evaluate/{name}"], str(path), words)
    assert line.startswith(f"Error: {path}")


def test_files_that_are_not_regular_files(data_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mnist_infer.cli import cli
    from mnist_infer.data.idx import read_images
    from mnist_infer.data.pictures import read_grey
    from mnist_infer.errors import DataFileError, ImageError

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it for reading would block until someone writes
    runner = CliRunner()
    for path, kind in ((fifo, "is a FIFO"), (Path("/dev/zero"), "is a character device"), (tmp_path, "is a directory")):
        if path.exists():
            for read, error in ((read_weights, WeightsError), (read_images, DataFileError), (read_grey, ImageError)):
                with pytest.raises(error) as info:
                    read(path)
                assert str(info.value).startswith(f"{path}: {kind}"), info.value
    for path, kind in ((fifo, "is a FIFO"), (Path("/dev/zero"), "is a character device")):
        if path.exists():
            result = runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--weights", str(path)])
            assert result.exit_code == 1 and result.stderr.startswith(f"Error: {path}: {kind}"), result.stderr
            assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    result = runner.invoke(cli, ["evaluate", "--data-dir", str(data_dir), "--weights", str(tmp_path)])
    assert result.exit_code == 2 and f"'{tmp_path}' is a directory" in result.stderr  # Click's usage error
    assert "Traceback" not in result.output


# --- data files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", DATA_COMMANDS)
@pytest.mark.parametrize("case", BROKEN + PAIRS)
def test_broken_data_files_end_in_one_error(case: str, command: str, run) -> None:
    if case in PAIRS:
        _, damaged, words = hostile.broken_pairs(b"", b"")[case]
    else:
        damaged, _, words = hostile.broken_data(b"\0" * 16 + bytes(784), b"\0" * 8 + bytes(1))[case]
    outcome = run.outcomes[f"{command}/{case}"]
    assert_one_error(outcome, str(run.root / "broken" / case / damaged), words)
    if command == "evaluate-json":
        assert outcome["stdout"] == ""


def test_counts_are_compared_before_either_file_is_parsed_or_cached(run) -> None:
    assert not (run.root / "broken" / "count-mismatch-before-parsing" / ".mnist-infer-cache").exists()


def test_a_valid_run_fits_in_the_memory_limit(run) -> None:
    outcome = run.outcomes["valid-run"]
    assert outcome["exit_code"] == 0, outcome
    assert json.loads(outcome["stdout"])["correct"] == BOOK_CORRECT


def test_a_planted_cache_claiming_50_million_images_is_never_read(run) -> None:
    outcome = run.outcomes["cache-claiming-50-million"]
    assert outcome["exit_code"] == 0, outcome
    assert json.loads(outcome["stdout"])["correct"] == BOOK_CORRECT
    # It lay where the tool looks: the tool put a cache of the real 10,000 images in its place.
    from mnist_infer.data.cache import npy_header

    (cache,) = (run.root / "planted-cache" / ".mnist-infer-cache").glob(f"{hostile.IMAGES}.*.npy")
    assert cache.stat().st_size == len(npy_header((10_000, 28, 28))) + 10_000 * 784


# --- images ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BAD_IMAGES)
def test_bad_images_end_in_one_error(name: str, run) -> None:
    _, words = hostile.bad_images()[name]
    path = run.root / "images" / name
    outcome = run.outcomes[f"image/{name}"]
    line = assert_one_error(outcome, words)
    assert line.startswith(f"Error: {path}: ") and outcome["stdout"] == ""


# --- places the tool writes -----------------------------------------------------------------------------------


PLACE_WORDS = {
    "save-onto-symlink": ("places/link.png", "exists as a symbolic link"),
    "save-onto-fifo": ("places/fifo.png", "exists as a FIFO"),
    "save-onto-character-device": ("places/null.png", "exists as a character device"),
    "errors-onto-symlink": ("places/link.png", "exists as a symbolic link"),
    "save-input-onto-symlink": ("places/inputs/seven.png", "exists as a symbolic link"),
    "part-symlink": (f"downloads/part-symlink/{hostile.IMAGES}.part", "exists as a symbolic link"),
    "part-directory": (f"downloads/part-directory/{hostile.IMAGES}.part", "exists as a directory"),
    "lock-dangling-symlink": ("downloads/lock-dangling-symlink/.mnist-infer-download.lock", "a symbolic link"),
}


@pytest.mark.parametrize("case", PLACES)
def test_nothing_is_written_through_a_link_or_onto_a_device(case: str, run) -> None:
    if case not in run.outcomes:
        pytest.skip("needs root to make a device node")
    where, words = PLACE_WORDS[case]
    assert_one_error(run.outcomes[case], str(run.root / where), words)
    assert run.victim.read_text() == "not yours to overwrite\n"
    assert not (run.root / "made").exists()  # a dangling link's target is never created
    places = run.root / "places"
    assert stat.S_ISFIFO((places / "fifo.png").lstat().st_mode)
    if (places / "null.png").exists():
        assert stat.S_ISCHR((places / "null.png").lstat().st_mode)


def test_a_local_mirror_linked_to_proc_is_read_no_further_than_it_states(run) -> None:
    files = "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz (2 of 2 file(s)"
    assert_one_error(run.outcomes["mirror-proc-pagemap"], f"could not fetch {files}", "an empty file")
    assert [p.name for p in (run.root / "from-proc").iterdir()] == [".mnist-infer-download.lock"]


def test_a_sparse_20_gb_file_under_a_final_name_is_replaced_without_hashing_it(run) -> None:
    outcome = run.outcomes["final-sparse-20GB"]
    assert outcome["exit_code"] == 0, outcome
    assert (run.root / "downloads" / "sparse-final" / hostile.IMAGES).stat().st_size == FILES[hostile.IMAGES].size


# --- options --------------------------------------------------------------------------------------------------


def test_non_finite_toy_inputs_are_a_usage_error_not_invalid_json(run) -> None:
    for case, value in (("toy-nan-json", "nan"), ("toy-inf-json", "-inf")):
        outcome = run.outcomes[case]
        assert outcome["escaped"] is None and outcome["exit_code"] == 2, outcome
        assert outcome["stdout"] == "" and "Traceback" not in outcome["stderr"]
        last = outcome["stderr"].strip().splitlines()[-1]
        assert "--x" in last and f"{value!r} is not a finite number" in last, last


def test_pictures_too_large_are_refused_before_allocating(run) -> None:
    line = assert_one_error(run.outcomes["show-1000-digits-at-scale-64"], "1,000 digit(s) at scale 64")
    assert "1,919,872×1,792 pixels, more than the 16,777,216" in line and "--scale" in line
    line = assert_one_error(run.outcomes["gallery-of-9020-mistakes"], "a gallery of 9,020 mistakes", "--errors-max")
    assert not (run.root / "strip.png").exists() and not (run.root / "gallery.png").exists()


def test_weights_on_a_loop_of_links(run) -> None:
    assert_one_error(run.outcomes["weights-symlink-loop"], "loop-a.pkl", "too many levels of symbolic links")


@pytest.mark.parametrize("value", ["nan", "1e308", "inf", "-1"])
def test_timeouts_that_are_not_a_sane_number_of_seconds_are_usage_errors(value: str, run) -> None:
    outcome = run.outcomes[f"timeout-{value}"]
    assert outcome["exit_code"] == 2 and "'--timeout'" in outcome["stderr"], outcome
    assert "Traceback" not in outcome["stderr"] and not (run.root / "never").exists()


def test_no_home_directory(run) -> None:
    for case in ("no-home-with-data-dir", "no-home-no-data-dir"):  # without one, the packaged copies serve
        outcome = run.outcomes[case]
        assert outcome["exit_code"] == 0, outcome
        assert json.loads(outcome["stdout"])["correct"] == BOOK_CORRECT
    assert_one_error(run.outcomes["no-home-tilde-data-dir"], "~/mnist", "cannot expand ~")


@pytest.mark.parametrize("case", ["data-dir", "weights", "download"])
def test_no_permission_is_one_error(case: str, run) -> None:
    line = assert_one_error(run.outcomes[f"{case}-without-permission"], str(run.root / "closed"))
    assert "ermission denied" in line or "cannot write" in line


def test_every_case_stays_within_the_memory_limit(run) -> None:
    peak_mib = run.outcomes["peak-rss-kib"]["value"] / 1024
    assert peak_mib < MEMORY_LIMIT / 2**20
    assert not any(outcome.get("escaped") for outcome in run.outcomes.values())


# --- property-based: the weights reader never raises anything but WeightsError ----------------------------------

# A few hundred examples each: benchmarks/fuzz.py (and its pass in tests/test_fuzz.py) mutates far more. The bases
# are valid networks of 2 inputs and 2 classes, read as such, so that mutants reach the checks of keys, shapes,
# architecture and values, not only the parsers.
fuzz = settings(
    max_examples=fuzz_examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TINY = mlp((3,), inputs=2, classes=2)
TINY_PARAMS = {
    "W1": np.arange(6, dtype=np.float32).reshape(2, 3) / 6,
    "b1": np.ones(3),
    "W2": np.eye(3, 2),
    "b2": -np.ones(2),
}
VALID_PICKLES = [pickle.dumps(TINY_PARAMS, protocol=p) for p in range(pickle.HIGHEST_PROTOCOL + 1)]


def _read_any(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        weights = read_weights(path, inputs=2, classes=2)
    except WeightsError:
        return
    assert weights.architecture.input_shape == (2,) and weights.architecture.classes == 2
    for value in weights.params.values():
        assert value.dtype == np.float32 and np.isfinite(value).all()
    assert np.isfinite(Network(weights.architecture, weights.params).forward(np.ones(2))).all()


def _mutated(base: bytes, edits, cut=None) -> bytes:
    data = bytearray(base)
    for position, value in edits:
        if position < len(data):
            data[position] = value
    return bytes(data[:cut]) if cut is not None else bytes(data)


def test_the_bases_are_valid(tmp_path: Path) -> None:
    for data in (*VALID_PICKLES, *_valid_npz(tmp_path)):
        (tmp_path / "w").write_bytes(data)
        weights = read_weights(tmp_path / "w", inputs=2, classes=2)
        assert weights.architecture == TINY
        np.testing.assert_array_equal(weights.params["W2"], TINY_PARAMS["W2"])


@fuzz
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_as_weights(tmp_path: Path, data: bytes) -> None:
    _read_any(tmp_path / "fuzz.pkl", data)


@fuzz
@given(
    base=st.sampled_from(VALID_PICKLES),
    edits=st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 600)),
)
def test_mutated_pickles(tmp_path: Path, base: bytes, edits, cut) -> None:
    _read_any(tmp_path / "fuzz.pkl", _mutated(base, edits, cut))


def _valid_npz(tmp_path: Path) -> list[bytes]:
    """The tiny network as numpy.savez writes it (no metadata) and as save_weights does (its architecture)."""
    np.savez(tmp_path / "plain.npz", **TINY_PARAMS)
    save_weights(tmp_path / "saved.npz", Network(TINY, TINY_PARAMS), {"seed": 1})
    return [(tmp_path / name).read_bytes() for name in ("plain.npz", "saved.npz")]


@pytest.mark.slow
@fuzz
@given(
    which=st.integers(0, 1),
    edits=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_mutated_npz(tmp_path: Path, which: int, edits) -> None:
    _read_any(tmp_path / "fuzz.npz", _mutated(_valid_npz(tmp_path)[which], edits))
