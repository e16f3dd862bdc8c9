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


def run(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` to completion; its wall time and its own peak resident memory (not its parent's)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)  # reaps the child and gives its own rusage
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, process.returncode, out.read().decode(), err.read().decode())


def median(values: list[float]) -> float:
    return statistics.median(values)


PYTHON = sys.executable
