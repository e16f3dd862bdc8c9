"""The README and docs/ cannot drift from the code: their console blocks are replayed, the JSON keys and flags checked,
and the library examples run as doctests.

- A ``$ mnist-infer …`` line followed by output is run (in a pipe, 100 columns, an empty data directory, so the
  packaged test set and weights) and must print exactly that output; only the timing of ``evaluate`` may differ.
- A ``$ mnist-infer …`` line without output must at least parse: every flag it uses exists. So must the
  commands of a block marked ``<!-- output not replayed: why -->`` (a run on data that is not here, a server).
- The table under "### JSON output" must name exactly the keys each command prints.
- Every ``pycon`` block runs as a doctest.

After changing what a command prints, regenerate the README's outputs with ``python tests/test_readme.py``.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("README.*.md"))]
REPLAY_ENV = {"COLUMNS": "100", "NO_COLOR": None, "FORCE_COLOR": None, "MNIST_INFER_DEBUG": None}
#: Commands that run until they are stopped: their flags are checked, their output is not replayed.
NOT_REPLAYED = ("mnist-infer serve",)
NOT_REPLAYED_MARK = "<!-- output not replayed"
#: What differs from run to run: the time a forward pass takes.
TIMING = re.compile(r"[\d.,]+ ms, [\d,]+ images/s")


@dataclass
class Example:
    command: str  #: without the leading "$ "
    output: list[str]  #: the lines the README shows after it (empty: an example to parse, not to replay)
    line: int  #: where it stands in the README (1-based), for messages and for updating


def console_examples(text: str) -> Iterator[Example]:
    """Every ``$ mnist-infer …`` line of the README's ``console`` blocks, with the output shown after it."""
    lines = text.splitlines()
    inside, flags_only, current = False, False, None
    previous = ""
    for number, line in enumerate(lines, start=1):
        if line.startswith("```"):
            if inside and current is not None:
                yield current
            inside, current = line.strip() == "```console", None
            flags_only = previous.startswith(NOT_REPLAYED_MARK)
            continue
        if line.strip() and not inside:
            previous = line.strip()
        if not inside:
            continue
        if line.startswith("$ "):
            if current is not None:
                yield current
            command = line[2:].split("  #")[0].strip()
            current = Example(command, [], number) if command.startswith("mnist-infer") else None
            if flags_only or (command.startswith(NOT_REPLAYED) and "--help" not in command.split()):
                yield Example(command, [], number)
                current = None
        elif current is not None:
            current.output.append(line)


def normalise(text: str) -> list[str]:
    return [TIMING.sub("<timing>", line.rstrip()) for line in text.rstrip("\n").splitlines()]


def replay(command: str, workdir: Path, env: dict[str, str] | None = None) -> str:
    """What ``command`` prints, run the way the README's outputs were captured."""
    from catalogs import speaking
    from conftest import synthetic_split

    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(workdir)
    home = workdir / "home"  # the packaged test set and weights, and a small train split (`train` needs one)
    home.mkdir(exist_ok=True)
    synthetic_split(home, "train", 300)
    args = shlex.split(command)[1:]
    try:  # the language (README.ko.md's: env LANGUAGE=ko) as a new process would have it, from its start
        with speaking(args, env or {}) as cli:
            env = {**REPLAY_ENV, "MNIST_INFER_HOME": str(home), "XDG_CACHE_HOME": str(workdir)}
            result = runner.invoke(cli, args, env=env, prog_name="mnist-infer")
    finally:
        os.chdir(cwd)
    return result.stdout


EXAMPLES = [(path, e) for path in DOCUMENTS for e in console_examples(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize(
    ("path", "example"), [(p, e) for p, e in EXAMPLES if e.output], ids=lambda x: getattr(x, "name", None) or
    f"line{x.line}:{x.command}")  # fmt: skip
def test_console_block_is_what_the_command_prints(path: Path, example: Example, tmp_path: Path) -> None:
    env = {"LANGUAGE": "ko"} if path.name == "README.ko.md" else {}
    assert normalise(replay(example.command, tmp_path, env)) == normalise("\n".join(example.output))


@pytest.mark.parametrize(
    ("path", "example"), [(p, e) for p, e in EXAMPLES if not e.output], ids=lambda x: getattr(x, "name", None) or
    f"line{x.line}:{x.command}")  # fmt: skip
def test_documented_flags_exist(path: Path, example: Example) -> None:
    from mnist_infer.cli import cli

    words = shlex.split(example.command)[1:]
    top = {opt for param in cli.params for opt in param.opts}
    while words and words[0] in top:
        words.pop(0)
    command = cli.get_command(None, words[0]) if words else None
    assert command is not None, f"{example.command}: no such command"
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for word in words[1:]:
        if word.startswith("-") and not re.fullmatch(r"-\d+", word):
            assert word.split("=")[0] in options, f"{example.command}: {word} is not an option of {words[0]}"


# --- JSON keys ------------------------------------------------------------------------------------------------


def json_table() -> dict[str, str]:
    """The table of docs/json.md: command -> the keys cell."""
    text = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    section = text.split("| command |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`mnist-infer"):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def documented_keys(cell: str) -> dict[str, set[str] | None]:
    """``a``, ``b`` (each: ``c``, ``d``), ``e`` (``f``) -> {"a": None, "b": {"c", "d"}, "e": {"f"}}."""
    keys: dict[str, set[str] | None] = {}
    for match in re.finditer(r"`(\w+)`(?: \((?:each: )?([^)]*)\))?", cell):
        keys[match.group(1)] = set(re.findall(r"`(\w+)`", match.group(2))) if match.group(2) else None
    return keys


def actual_keys(payload: dict) -> dict[str, set[str] | None]:
    keys: dict[str, set[str] | None] = {}
    for key, value in payload.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            keys[key] = set().union(*(item.keys() for item in value))
        elif isinstance(value, dict):
            keys[key] = set(value)
        else:
            keys[key] = None
    return keys


def test_the_json_table_covers_every_command_with_json() -> None:
    from mnist_infer.cli import cli

    documented = {command.split()[1] for command in json_table()}
    commands = {name: cli.get_command(None, name) for name in cli.list_commands(None)}
    with_json = {name for name, command in commands.items() if any("--json" in p.opts for p in command.params)}
    assert documented == with_json


@pytest.mark.parametrize("command", sorted(json_table()))
def test_documented_json_keys_are_the_real_ones(command: str, tmp_path: Path) -> None:
    payload = json.loads(replay(command, tmp_path))
    if isinstance(payload, list):
        payload = payload[0]
    assert actual_keys(payload) == documented_keys(json_table()[command])


# --- the library examples -------------------------------------------------------------------------------------


def pycon_blocks(text: str) -> Iterator[tuple[int, str]]:
    for match in re.finditer(r"```pycon\n(.*?)```", text, re.S):
        yield text[: match.start()].count("\n") + 1, match.group(1)


@pytest.mark.parametrize("block", [b for p in DOCUMENTS for b in pycon_blocks(p.read_text(encoding="utf-8"))],
                         ids=lambda b: f"line{b[0]}")  # fmt: skip
def test_library_example_runs(block: tuple[int, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As after the README's own set-up: the package installed, and `mnist-infer download` run for the train
    split (here: a small train split written by the test, since the train images are not available offline)."""
    from conftest import synthetic_split

    synthetic_split(tmp_path, "train", 60)
    monkeypatch.setenv("MNIST_INFER_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    line, source = block
    test = doctest.DocTestParser().get_doctest(source, {}, f"README.md:{line}", str(README), line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"the example at README.md line {line} does not run as written"


# --- regenerating the README ----------------------------------------------------------------------------------


def update(path: Path) -> int:
    """Rewrite the output under every replayed command of ``path`` with what it prints today (a command with no
    output yet gets its output too, except in blocks marked not replayed)."""
    import tempfile

    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    examples = [e for e in console_examples(text) if e.output or not _marked(lines, e.line)]
    env = {"LANGUAGE": "ko"} if path.name == "README.ko.md" else {}
    for example in reversed(examples):
        if example.command.startswith(NOT_REPLAYED):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            output = replay(example.command, Path(tmp), env).rstrip("\n").splitlines()
        start = example.line  # the output starts on the line after the command (0-based: example.line)
        lines[start : start + len(example.output)] = [line.rstrip() for line in output]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(examples)


def _marked(lines: list[str], line: int) -> bool:
    """Whether the console block holding ``line`` (1-based) is marked as not replayed."""
    opening = next(i for i in range(line - 1, -1, -1) if lines[i].startswith("```"))
    above = next((lines[i] for i in range(opening - 1, -1, -1) if lines[i].strip()), "")
    return above.startswith(NOT_REPLAYED_MARK)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for document in sys.argv[1:] or DOCUMENTS:
        print(f"updated {update(Path(document))} outputs in {document}")
