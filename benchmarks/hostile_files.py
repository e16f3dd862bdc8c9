"""Drive every hostile file of tests/hostile.py through `mnist-infer evaluate`; print time and peak memory.

    python benchmarks/hostile_files.py [--json]

Each run is a fresh process, as a user would run it; the figures are its wall time and its own peak RSS.
The files are built by a child process, so that this one stays small (a child's peak RSS counts the memory of
the process it was forked from).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import PYTHON, ROOT, run

IMAGES, LABELS, WEIGHTS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "sample_weight.pkl"


def prepare(root: Path) -> None:
    """Write one data directory per hostile file under ``root``, and cases.json listing them."""
    import gzip

    sys.path.insert(0, str(ROOT / "tests"))
    import hostile
    from mnist_infer.paths import packaged_file

    # Copies of the package's own files, linked (hard) into every directory: a symbolic link to the package's copy
    # would be the package's copy, whose parse caches go to the user's cache directory, not beside it.
    (root / "originals").mkdir()
    originals = {
        name: shutil.copyfile(packaged_file(name), root / "originals" / name) for name in (IMAGES, LABELS, WEIGHTS)
    }
    images = gzip.decompress(originals[IMAGES].read_bytes())
    labels = gzip.decompress(originals[LABELS].read_bytes())
    marker = root / "payload-ran"
    broken = hostile.broken_data(images, labels)
    cases = [("data", name, {replaced: content}) for name, (replaced, content, _) in broken.items()]
    cases += [("data", name, files) for name, (files, _, _) in hostile.broken_pairs(images, labels).items()]
    cases += [("weights", name, {WEIGHTS: content}) for name, content in hostile.malicious_weights(marker).items()]
    cases += [("weights", name, {WEIGHTS: content}) for name, (content, _) in hostile.wrong_weights().items()]
    cases += [("image", name, {"image": content}) for name, (content, _) in hostile.bad_images().items()]
    cases.append(("valid", "valid", {}))
    for _, name, replaced in cases:
        directory = root / name
        directory.mkdir()
        for file, source in originals.items():
            if file not in replaced:
                os.link(source, directory / file)
        for file, content in replaced.items():
            if callable(content):
                content(directory / file)  # a sparse file, written by truncation
            else:
                (directory / file).write_bytes(content)
    (root / "cases.json").write_text(json.dumps([[kind, name] for kind, name, _ in cases]))


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([PYTHON, __file__, "--prepare", str(root)], check=True)
        for kind, name in json.loads((root / "cases.json").read_text()):
            command = ["predict", "--image", str(root / name / "image")] if kind == "image" else ["evaluate"]
            result = run([PYTHON, "-m", "mnist_infer", *command, "--json", "--data-dir", str(root / name)])
            one_line = result.returncode == 1 and result.stderr.count("\n") == 1 and result.stderr.startswith("Error:")
            rows.append(
                {
                    "kind": kind,
                    "file": name,
                    "seconds": round(result.seconds, 3),
                    "max_rss_mib": round(result.max_rss_mib, 1),
                    "returncode": result.returncode,
                    "one_error_line": one_line,
                    "internal_error": "internal error" in result.stderr,
                }
            )
        payload_ran = (root / "payload-ran").exists()
    valid = rows.pop()
    summary = {
        "files": len(rows),
        "all_one_error_line": all(r["one_error_line"] and not r["internal_error"] for r in rows),
        "payload_ran": payload_ran,
        "max_seconds": max(r["seconds"] for r in rows),
        "max_rss_mib": max(r["max_rss_mib"] for r in rows),
        "valid_run": {
            "seconds": valid["seconds"],
            "max_rss_mib": valid["max_rss_mib"],
            "returncode": valid["returncode"],
        },
    }
    if "--json" in sys.argv:
        print(json.dumps({"summary": summary, "files": rows}, indent=2))
        return
    print(f"{'kind':8} {'file':34} {'seconds':>8} {'max RSS MiB':>12}  one Error line")
    for r in rows:
        print(f"{r['kind']:8} {r['file']:34} {r['seconds']:8.3f} {r['max_rss_mib']:12.1f}  {r['one_error_line']}")
    print(json.dumps(summary))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--prepare"]:
        prepare(Path(sys.argv[2]))
    else:
        main()
