"""Korean, complete: every message of ours and of Click has a translation, the committed ``.mo`` is the ``.po``
compiled, and every command speaks Korean (``--lang ko``, ``MNIST_INFER_LANG=ko`` or a Korean locale) without an
English word outside a short list of names; JSON keys and exit codes do not change with the language.

After adding or changing a message: ``python tests/catalogs.py``, translate what it lists, run it again
(docs/translating.md).
"""

from __future__ import annotations

import gettext
import io
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from catalogs import LOCALE_VARIABLES, PLACEHOLDER, compiled, extract, languages, mo_path, read, speaking, untranslated
from conftest import mnist_like_split
from mnist_infer.cli import cli
from mnist_infer.training.experiments import EXPERIMENTS

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = tuple(cli.list_commands(click.Context(cli)))  # every command the tool finds in its folder

# --- the catalogs --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template():
    return extract()


def test_there_is_a_korean_catalog() -> None:
    from mnist_infer.i18n import LANGUAGES

    assert "ko" in languages()
    assert ("en", *languages()) == LANGUAGES, "--lang offers exactly the languages that have a compiled catalog"


@pytest.mark.parametrize("language", languages())
def test_every_message_has_a_translation(language: str, template) -> None:
    """Our messages and the installed Click's: each is in the catalog, translated, not fuzzy."""
    catalog = read(language)
    missing = [m.id for m in template if m.id and catalog.get(m.id) is None]
    todo = [m.id for m in untranslated(catalog)]
    assert not missing, f"not in the {language} catalog (run `python tests/catalogs.py`): {missing}"
    assert not todo, f"untranslated or fuzzy in the {language} catalog: {todo}"


@pytest.mark.parametrize("language", languages())
def test_the_catalog_holds_no_message_the_code_lost(language: str, template) -> None:
    """A message of ours that the code no longer has is a catalog that was not updated (Click's may vary with its
    version)."""
    ours = {m.id for m in read(language) if m.id and any(f.startswith("mnist_infer/") for f, _ in m.locations)}
    assert ours <= {m.id for m in template}


#: Placeholders a translation may leave out, and why.
DROPPED = {
    # Click fills it with its type's English name ("integer", "float"); "올바른 수가 아닙니다" says it without it.
    "{value!r} is not a valid {number_type}.": {"{number_type}"},
}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text)) | set(re.findall(r"%\(\w+\)[sdr]", text))


@pytest.mark.parametrize("language", languages())
def test_translations_keep_the_placeholders(language: str) -> None:
    """The same ``{name}``, ``{count:,}``, ``{value!r}`` (format and conversion included): a translation that drops one
    loses information, one that adds or misspells one fails at run time. Plural forms may use either form's."""
    wrong = []
    for m in read(language):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        union = set().union(*map(placeholders, ids))
        needed = set.intersection(*map(placeholders, ids)) - DROPPED.get(ids[0], set())
        for string in strings:
            if not needed <= placeholders(string) <= union:
                wrong.append((ids[0], string))
    assert not wrong


@pytest.mark.parametrize("language", languages())
def test_the_committed_mo_is_the_po_compiled(language: str) -> None:
    def messages(data: bytes) -> dict:
        return gettext.GNUTranslations(io.BytesIO(data))._catalog  # type: ignore[attr-defined]

    assert messages(mo_path(language).read_bytes()) == messages(compiled(read(language)))


def test_korean_plural_forms() -> None:
    catalog = read("ko")
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    assert all(len(m.string) == 1 for m in catalog if m.id and isinstance(m.id, tuple))


# --- every command in Korean ---------------------------------------------------------------------------------

#: Latin words that Korean output keeps, and why. Everything else of two Latin letters or more is English that a
#: Korean reader should not meet: a message someone forgot to mark, or a translation that is missing.
ALLOWED = {
    # names the Korean edition itself keeps in Latin letters (its 목차 and code): layers, functions, optimisers,
    # initial values, networks
    "ReLU",
    "Affine",
    "Sigmoid",
    "Softmax-with-Loss",
    "SimpleConvNet",
    "DeepConvNet",
    "CNN",
    "Xavier",
    "He",
    "SGD",
    "AdaGrad",
    "Adam",
    "MNIST",
    # the values of options, as typed (`--activation sigmoid`, `--optimizer adam`, `--init xavier`, `--model mlp`)
    # and as a network's name shows them ("784-50-100-10 sigmoid"); the toy network's row "softmax" (its JSON key)
    "sigmoid",
    "relu",
    "tanh",
    "softmax",
    "mlp",
    "sgd",
    "momentum",
    "adagrad",
    "adam",
    "xavier",
    "he",
    "book",
    "constant",
    "cosine",
    # the experiments' names, typed as they are (`mnist-infer experiment optimizers`)
    *EXPERIMENTS,
    # the operations of a step's formula, as the book's code names them (Convolution's pad, Pooling's max, flatten)
    "pad",
    "max",
    "flatten",
    # formats, encodings and protocols, as everyone writes them
    "PNG",
    "JPEG",
    "BMP",
    "GIF",
    "WebP",
    "TIFF",
    "JSON",
    "API",
    "URL",
    "POST",
    "GET",
    "HTTP",
    "IDX",
    "gzip",
    "zip",
    "sha256",
    "md5",
    "float32",
    "float64",
    "uint8",
    "dtype",
    "numpy",
    "pickle",
    "NaN",
    "inf",
    # units and keys
    "ms",
    "KiB",
    "MiB",
    "Ctrl-C",
    "root",
}
ALLOWED_PATTERNS = [
    r"`[^`]*`",  # code to type, as the messages quote it
    r"^\s*(?:mnist-infer|curl) .*$",  # an example command line of --help
    r"mnist-infer(?: (?:" + "|".join(COMMANDS) + r")(?![A-Za-z]))?",  # the program and its commands
    r"(?<![\w-])--?[A-Za-z][\w-]*",  # options
    r"\S*/\S*",  # paths and URLs
    r"[\w.-]*\.(?:pkl|npz|npy|png|jpe?g|bmp|gif|webp|tiff?|gz|xyz)(?![A-Za-z])",  # file names and extensions
    r"\$?(?<![A-Za-z0-9_])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![A-Za-z0-9_])",  # environment variables
    r"\[?[\w.:-]+(?:\|[\w.:-]+)+\]?",  # choices, as Click shows them: [sigmoid|relu|tanh]
    r"(?<=기본값: )[^;\]\n]+",  # an option's default value, as Click shows it: [기본값: mlp]
    r"^  (?:" + "|".join(COMMANDS) + r")(?= )",  # the list of commands in --help
    r"'(?:" + "|".join(COMMANDS) + r")'",  # a command named in a sentence ("혹시 'evaluate'을(를)…")
    r"(?<![A-Za-z])d(?:x|W|b|gamma|beta)\d*(?![A-Za-z])",  # a gradient's name in the book's code: dW1, dx
]
WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def english(text: str, echoed: tuple[str, ...] = ()) -> list[str]:
    """The English words of ``text``: runs of Latin letters outside the allowed names and patterns (``echoed``:
    what the user typed, which an error quotes back)."""
    text = re.sub(r"-\n\s*", "-", text)  # a word Click's help wrapped after its hyphen ("mnist-" / "infer")
    for word in echoed:
        text = text.replace(word, " ")
    for pattern in ALLOWED_PATTERNS:
        text = re.sub(pattern, " ", text, flags=re.M)
    words = (word.strip("-") for word in WORD.findall(text))
    return [word for word in words if len(re.findall("[A-Za-z]", word)) >= 2 and word not in ALLOWED]


def hangul(text: str) -> bool:
    return re.search(r"[\uac00-\ud7a3]", text) is not None


def test_the_check_finds_english() -> None:
    """The check itself: a message left in English is caught, the allowed names are not."""
    assert english("Error: no such weights file") == ["Error", "no", "such", "weights", "file"]
    assert english("오류: missing.pkl: 그런 가중치 파일이 없습니다 (--weights, `mnist-infer train --out 파일`)") == []
    assert english("  --activation [sigmoid|relu|tanh]  은닉층의 활성화 함수 (mlp).") == []
    assert english("신경망 12-7-6-10 relu: dW1") == []
    assert english("Training 784-50 sigmoid") == ["Training"]


def invoke(args: list[str], env: dict[str, str] | None = None, home: Path | None = None) -> Result:
    """``mnist-infer ARGS`` run as a new process would run it with ``env`` (its locale variables), in a pipe."""
    with speaking(args, env) as cli:
        environ = {"COLUMNS": "100", **({"MNIST_INFER_HOME": str(home)} if home else {})}
        return CliRunner().invoke(cli, args, env=environ, prog_name="mnist-infer")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a small training split of real digits (the packaged test split serves the rest)."""
    directory = tmp_path_factory.mktemp("korean-home")
    mnist_like_split(directory, "train", 0, 300)
    return directory


#: How the language is chosen: the option, our variable, a Korean locale (as a Korean user's terminal has it).
WAYS = {
    "--lang": (["--lang", "ko"], {}),
    "MNIST_INFER_LANG": ([], {"MNIST_INFER_LANG": "ko"}),
    "LANG": ([], {"LANG": "ko_KR.UTF-8"}),
}
#: Each command, with the words of the user's own that its output may quote, the exit code, and the ways it is run.
CASES = [
    ("toy", [], 0, ("--lang", "LANG")),
    ("show 0", [], 0, ("--lang", "LANG")),
    ("show 0 1 --save digits.png", [], 0, ("MNIST_INFER_LANG",)),
    ("predict 0", [], 0, ("--lang", "LANG")),
    ("evaluate", [], 0, ("--lang", "LANG")),
    ("evaluate --weights sample_weight.pkl --weights deep_convnet_params.pkl", [], 0, ("--lang",)),
    (
        "evaluate --limit 300 --weights sample_weight.pkl --weights deep_convnet_params.pkl --batch-size 1",
        [],
        0,
        ("LANG",),
    ),
    ("train --limit 200 --epochs 2 --validation 50 --seed 1 --out mine.npz --plot curves.png", [], 0, ("--lang",)),
    ("train --limit 200 --epochs 1 --optimizer sgd --lr 100 --seed 1 --out chance.npz", [], 0, ("LANG",)),
    ("train --gradient-check", [], 0, ("--lang",)),
    ("explain 8", [], 0, ("--lang",)),
    ("explain 3 --weights deep_convnet_params.pkl --why", [], 0, ("LANG",)),
    ("explain --templates", [], 0, ("--lang",)),
    ("evaluate --reject 0.9 --limit 500", [], 0, ("--lang",)),
    ("evaluate --robustness --limit 50", [], 0, ("LANG",)),
    ("show --mean", [], 0, ("--lang",)),
    ("predict 8 --weights deep_convnet_params.pkl", [], 0, ("--lang",)),  # "not sure"
    ("experiment activations --quick", [], 0, ("--lang",)),
    ("experiment optimizers --quick", [], 0, ("LANG",)),
    ("train --limit 200 --epochs 1 --out mine.pkl", [], 1, ("--lang",)),
    ("--help", [], 0, ("--lang", "LANG")),
    *((f"{command} --help", [], 0, ("--lang", "LANG")) for command in COMMANDS),
    ("--version", [], 0, ("--lang",)),
    ("show x", ["x"], 2, ("--lang", "LANG")),  # a usage error: Click's words
    ("show", [], 2, ("--lang",)),
    ("evaluate --bogus", [], 2, ("LANG",)),
    ("evaluate --limit 5:2", ["5:2"], 2, ("--lang",)),
    ("serve --port 99999", ["99999"], 2, ("LANG",)),
    ("toy --x 1", [], 2, ("--lang",)),
    ("train --hidden 50", [], 2, ("--lang",)),  # --out is missing
    ("evaluate --weights missing.pkl", [], 1, ("--lang", "LANG")),  # a project error
    ("show 10000", [], 1, ("--lang",)),
    ("predict --image nothing.png", [], 1, ("LANG",)),
    ("show 0 --save digits.xyz", [], 2, ("--lang",)),  # a usage error naming the format
    ("train --limit 200 --out mine.npz --plot curves.jpg", [], 2, ("--lang",)),  # naming the figure's name
    ("evalute", ["evalute"], 2, ("--lang", "LANG")),  # a mistyped command: "did you mean"
]


@pytest.mark.parametrize(
    ("command", "echoed", "code", "way"),
    [(c, e, code, way) for c, e, code, ways in CASES for way in ways],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_each_command_speaks_korean(
    command: str, echoed: list[str], code: int, way: str, home: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    flags, env = WAYS[way]
    result = invoke([*flags, *command.split()], env, home)
    assert result.exit_code == code, result.output
    assert hangul(result.output), result.output
    assert english(result.output, tuple(echoed)) == [], result.output


def test_foreign_failures_are_told_in_korean(home: Path, tmp_path: Path, monkeypatch) -> None:
    """What Pillow, pickle or gzip would say of a file is told in the tool's own Korean sentence: a decompression
    bomb (with the tool's numbers), a truncated picture, a picture or a gzip file given as weights."""
    import gzip

    from hostile import bad_images, png_claiming

    monkeypatch.chdir(tmp_path)
    Path("huge.png").write_bytes(png_claiming(30000, 30000))
    Path("truncated.png").write_bytes(bad_images()["truncated.png"][0])
    Path("notimage.png").write_bytes(bad_images()["truncated.png"][0])
    Path("w.pkl.gz").write_bytes(gzip.compress(b"\x80\x04}\x94."))
    Path("damaged.pkl").write_bytes(b"\x80\x04}\x94,,,")
    for args in (
        "predict --image huge.png",
        "predict --image truncated.png",
        "predict 1 --weights notimage.png",
        "predict 1 --weights w.pkl.gz",
        "predict 1 --weights damaged.pkl",
    ):
        result = invoke(["--lang", "ko", *args.split()], {}, home)
        assert result.exit_code == 1 and hangul(result.output), result.output
        assert english(result.output) == [], result.output
    assert "900,000,000" in invoke(["--lang", "ko", "predict", "--image", "huge.png"], {}, home).output
    Path("code.pkl").write_bytes(pickle.dumps({"W1": os.system}))  # refused, never run
    result = invoke(["--lang", "ko", "predict", "1", "--weights", "code.pkl"], {}, home)
    assert result.exit_code == 1 and english(result.output, ("posix.system",)) == [], result.output  # what it asks for


def test_the_operating_systems_refusals_are_told_in_korean(home: Path, tmp_path: Path, monkeypatch) -> None:
    """The C library's reasons (strerror) are English without its catalogs: the common ones are the tool's words."""
    monkeypatch.chdir(tmp_path)
    Path("here").mkdir()
    for args in (
        "train --limit 10 --out missing/dir/w.npz",  # no such file or directory
        "predict 1 --weights here/",  # a directory
        "show 0 --save here/x.png/y.png",  # not a directory, once x.png is a file
    ):
        Path("here/x.png").write_bytes(b"")
        result = invoke(["--lang", "ko", *args.split()], {}, home)
        assert result.exit_code in (1, 2) and hangul(result.output), result.output
        assert english(result.output) == [], result.output


def test_units_are_korean_too(home: Path, tmp_path: Path, monkeypatch) -> None:
    """A duration ends in 초, as everywhere in Korean output, not in the English "s"."""
    monkeypatch.chdir(tmp_path)
    result = invoke(["--lang", "ko", "experiment", "activations", "--quick"], {}, home)
    assert result.exit_code == 0 and re.search(r"; \d+\.\d초\)$", result.output.strip()), result.output
    assert not re.search(r"\d s\b", result.output), result.output


def description_columns(help_text: str) -> list[set[int]]:
    """Where the descriptions of each list of a help (options, commands) start, in display cells."""
    from rich.cells import cell_len

    sections, current = [], None
    for line in help_text.splitlines():
        if re.fullmatch(r"\S.*:", line):
            current = set()
            sections.append(current)
        elif not line.strip():
            current = None
        elif current is not None:
            if line.startswith("   "):  # a description's next line
                current.add(cell_len(re.match(r" *", line).group(0)))
            elif term := re.match(r"  \S.*?\S?  +(?=\S)", line):  # a term, then two spaces or more
                current.add(cell_len(term.group(0)))  # (a term too long has its description on the next line)
    return [section for section in sections if section]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_korean_help_lines_up_in_display_cells(command: str) -> None:
    """Hangul is two cells wide: the descriptions of each list start at one column, and no line passes the width
    Click lays the help out in (80 cells at most) however wide the terminal (but an example command line, which
    Click leaves as it is, in English too)."""
    from rich.cells import cell_len

    result = invoke([*command.split(), "--help"], {"LANG": "ko_KR.UTF-8"})
    assert result.exit_code == 0 and hangul(result.output)
    columns = description_columns(result.output)
    assert columns and all(len(column) == 1 for column in columns), (columns, result.output)
    prose = [line for line in result.output.splitlines() if not re.match(r"\s*(?:mnist-infer|curl) ", line)]
    assert max(cell_len(line) for line in prose) <= 80, result.output  # an example to type is never broken


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_never_breaks_a_path(command: str) -> None:
    """``~/.cache/mnist-infer`` stays whole on its line, at any width, in English and Korean (Click's wrapping breaks a
    line after a hyphen)."""
    for locale in ("C.UTF-8", "ko_KR.UTF-8"):
        for columns in ("60", "72", "80", "100"):
            with speaking([], {"LANG": locale}) as group:
                args = [*command.split(), "--help"]
                result = CliRunner().invoke(group, args, env={"COLUMNS": columns}, prog_name="mnist-infer")
            broken = [line for line in result.output.splitlines() if re.search(r"\S*/\S*-$", line)]
            assert result.exit_code == 0 and not broken, (locale, columns, broken)


def test_english_stays_english(home: Path) -> None:
    """Without a Korean locale, nothing changes: the check of Korean output is not passing on English by accident."""
    result = invoke(["evaluate"], {"LANG": "C.UTF-8"}, home)
    assert "Accuracy: 0.9352" in result.output and not hangul(result.output)
    assert english(result.output)


def test_the_learning_curves_speak_korean(home: Path, tmp_path: Path, monkeypatch) -> None:
    """The plot's labels and legend come from the catalog too (drawn in a Hangul font where one is installed)."""
    import matplotlib.figure

    texts: list[str] = []
    real = matplotlib.figure.Figure.savefig

    def savefig(self, *args, **kwargs):
        texts.extend(t.get_text() for t in self.findobj(lambda a: hasattr(a, "get_text")))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    monkeypatch.chdir(tmp_path)
    invoke(["--lang", "ko", "train", "--limit", "100", "--epochs", "1", "--out", "m.npz", "--plot", "c.png"], {}, home)
    shown = "\n".join(texts)
    assert "정확도" in shown and "에폭" in shown and "손실" in shown
    assert english(shown) == [], shown


# --- JSON keys and exit codes ----------------------------------------------------------------------------------


def keys(value) -> object:
    """The shape of a JSON value: its keys all the way down (list items merged), not its values."""
    if isinstance(value, dict):
        return {key: keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [keys(item) for item in value[:1]]
    return None


@pytest.mark.parametrize(
    "command",
    [
        "toy --json",
        "show 0 --json",
        "predict 0 1 --json",
        "evaluate --limit 200 --json",
        "evaluate --limit 200 --weights sample_weight.pkl --weights deep_convnet_params.pkl --json",
        "train --gradient-check --json",
        "train --limit 100 --epochs 1 --seed 3 --out m.npz --json",
    ],
)
def test_json_is_the_same_in_korean(command: str, home: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    english_run = invoke(command.split(), {}, home)
    korean_run = invoke(["--lang", "ko", *command.split()], {}, home)
    assert english_run.exit_code == korean_run.exit_code == 0
    assert keys(json.loads(english_run.stdout)) == keys(json.loads(korean_run.stdout))


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("toy", 0),
        ("show x", 2),
        ("evalute", 2),
        ("evaluate --weights missing.pkl", 1),
        ("show 10000", 1),
        ("train --hidden 50", 2),
        ("predict", 2),
    ],
)
def test_exit_codes_are_the_same_in_korean(command: str, code: int, home: Path) -> None:
    assert invoke(command.split(), {}, home).exit_code == code
    assert invoke(command.split(), {"LANG": "ko_KR.UTF-8"}, home).exit_code == code


# --- a real process ------------------------------------------------------------------------------------------


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in LOCALE_VARIABLES}
    return subprocess.run([sys.executable, "-m", "mnist_infer", *args], capture_output=True, text=True,
                          env={**environ, "COLUMNS": "100", **env}, timeout=60)  # fmt: skip


def test_a_korean_locale_makes_the_installed_tool_korean() -> None:
    result = run(["--help"], LANG="ko_KR.UTF-8")
    assert result.returncode == 0
    assert result.stdout.startswith("사용법: mnist-infer [옵션] 명령 [인자]...")
    assert "옵션:" in result.stdout and "명령:" in result.stdout
    assert english(result.stdout) == [], result.stdout


def test_the_lang_option_works_on_a_real_process() -> None:
    result = run(["--lang", "ko", "evaluate", "--weights", "nothing.pkl"], LANG="C.UTF-8")
    assert result.returncode == 1
    assert result.stderr.startswith("오류: nothing.pkl: 그런 가중치 파일이 없습니다")


def test_an_unknown_language_is_a_usage_error_in_english() -> None:
    """``--lang`` offers the languages that have a catalog; another is refused in English, the fallback."""
    result = run(["--lang", "xx", "toy"])
    assert result.returncode == 2
    assert "Invalid value for '--lang': 'xx' is not one of 'en', 'ko'." in result.stderr


def test_an_unknown_locale_falls_back_to_english() -> None:
    for env in ({"MNIST_INFER_LANG": "xx"}, {"LANG": "fr_FR.UTF-8"}, {}):
        result = run(["toy"], **env)
        assert result.returncode == 0
        assert result.stdout.startswith("Toy network 2-3-2-2")


def test_an_unknown_language_in_the_environment_is_told_once() -> None:
    """``MNIST_INFER_LANG=fr`` works in English, as ``--lang fr`` cannot (a usage error), but says so in one line on
    stderr, naming the languages there are; a language the tool speaks, in any form, or ``--lang``, says nothing."""
    result = run(["toy"], MNIST_INFER_LANG="fr")
    assert result.returncode == 0 and result.stdout.startswith("Toy network 2-3-2-2")
    assert result.stderr.splitlines() == [
        "Warning: MNIST_INFER_LANG='fr' is not a language of this tool; using English (the languages: en, ko)"
    ]
    for env, args in (({"MNIST_INFER_LANG": "ko_KR.UTF-8"}, []), ({"MNIST_INFER_LANG": "fr"}, ["--lang", "ko"]),
                      ({"MNIST_INFER_LANG": "en"}, []), ({}, [])):  # fmt: skip
        result = run([*args, "toy"], **env)
        assert result.returncode == 0 and result.stderr == "", (env, result.stderr)


def test_two_way_particles_take_the_form_their_word_needs() -> None:
    from mnist_infer.i18n import particles

    assert particles("가중치을(를) 쓸 수 없습니다: 그림이(가) 없고 파일은(는) 모델와(과) 파일(으)로") == (
        "가중치를 쓸 수 없습니다: 그림이 없고 파일은 모델과 파일로"
    )
    assert particles("서울(으)로, 숫자은(는), 책와(과)") == "서울로, 숫자는, 책과"  # ㄹ takes 로
    assert particles("`x.npz`을(를) 7이(가)") == "`x.npz`을(를) 7이(가)"  # not after Hangul: both forms stay


def test_an_error_line_reads_as_korean_with_its_fields_in_place(tmp_path: Path) -> None:
    result = invoke(["show", "0", "--save", str(tmp_path / "missing" / "x.png")], {"LANGUAGE": "ko"})
    assert result.exit_code == 1 and "그림을 쓸 수 없습니다" in result.stderr, result.stderr
    assert not re.search(r"[가-힣](을\(를\)|이\(가\)|은\(는\))", result.stderr), result.stderr


def test_a_duration_in_korean_takes_its_particle_in_the_numerical_gradient_conclusion() -> None:
    from mnist_infer.training.experiments import Experiment
    from mnist_infer.views.experiments import _conclusion

    summary = {"max_relative_error": 1e-9, "ratio": 5000.0, "numerical_seconds": 3.0, "backprop_seconds": 6e-4,
               "images": 100, "training_seconds": 0.1, "numerical_training_days": 0.006}  # fmt: skip
    with speaking(["--lang", "ko"]):
        text = _conclusion(Experiment("numerical-gradient", "", {}, {}, summary))
    assert "0.1초가" in text and "이(가)" not in text, text
