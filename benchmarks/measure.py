"""Whole-process measurement with public tools only: wall time (perf_counter) and peak RSS (wait4's rusage)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MNIST_INFER_TEST_DATA") or ROOT.parent / "shared")


@dataclass
class Run:
    seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str


#: Set on some machines because old OpenBLAS builds fail on their processors; a current numpy runs slower kernels
#: under them than a user of that processor gets. Benchmarks run without them, as such a user does.
OLD_OPENBLAS_WORKAROUNDS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def user_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without :data:`OLD_OPENBLAS_WORKAROUNDS`, with ``env`` added."""
    return {**{k: v for k, v in os.environ.items() if k not in OLD_OPENBLAS_WORKAROUNDS}, **(env or {})}


def run(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` to completion, as a user runs it (:func:`user_environment`); its wall time and its own peak
    resident memory (not its parent's)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=user_environment(env))
        _, status, usage = os.wait4(process.pid, 0)  # reaps the child and gives its own rusage
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, process.returncode, out.read().decode(), err.read().decode())


def blas_kernel(python: str) -> str:
    """The OpenBLAS kernel the tool's numpy runs in ``python``'s environment, under the tool's own BLAS policy
    (threadpoolctl, one of the tool's dependencies, asks it)."""
    script = ("from mnist_infer.cli import configure_blas; configure_blas(); import numpy, threadpoolctl; "
              "print(*(f\"{i['internal_api']} {i['architecture']}\" "
              "for i in threadpoolctl.threadpool_info()))")  # fmt: skip
    return subprocess.run([python, "-c", script], check=True, capture_output=True, text=True,
                          env=user_environment()).stdout.strip()  # fmt: skip


def write_table(doc: Path, markers: tuple[str, str], text: str) -> None:
    """Put ``text`` into ``doc`` between its two ``markers`` (what was there before goes)."""
    page = doc.read_text(encoding="utf-8")
    start, end = page.index(markers[0]) + len(markers[0]), page.index(markers[1])
    doc.write_text(page[:start] + "\n" + text + "\n" + page[end:], encoding="utf-8")


def median(values: list[float]) -> float:
    return statistics.median(values)


PYTHON = sys.executable
