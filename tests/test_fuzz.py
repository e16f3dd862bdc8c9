"""A short pass of benchmarks/fuzz.py: mutated files of every kind through every loader, no escape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz.py"


@pytest.mark.slow
def test_a_short_fuzzing_pass_finds_no_escape(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(FUZZ), "--inputs", "360", "--seed", "12", "--memory-mib", "768", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "cache"), "OPENBLAS_NUM_THREADS": "1"},
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["escapes"] == 0, report["escaped"]
    assert report["inputs"] == 360 and len(report["kinds"]) == 12
    assert sum(row["inputs"] for row in report["kinds"].values()) == 360
    # The mutants reached the loaders of every kind (each refused some), and no rewritten cache changed an answer.
    assert all(row.get("refused", 0) > 0 for kind, row in report["kinds"].items() if kind != "cache")
    assert report["kinds"]["cache"].get("accepted") == report["kinds"]["cache"]["inputs"]
