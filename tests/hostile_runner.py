"""Run many hostile cases in ONE fresh interpreter under a memory limit (RLIMIT_AS); print the outcomes as JSON.

    python tests/hostile_runner.py LIMIT_BYTES < cases.json > outcomes.json

A case is ``{"id": …, "argv": [...] | null, "env": {...} | null, "no_passwd": bool, "as_uid": int | null,
"call": [module, function, path] | null}``: ``argv`` runs through the command line in process (Click's
CliRunner), ``call`` calls a loader on a path; ``as_uid`` runs the case in a forked child that has become
that user (root only: permissions mean nothing to root). Each outcome records the exit code, stdout, stderr,
the exception a loader raised (its class names, most derived first) and the seconds taken.
tests/test_hostile.py asserts on them case by case: one subprocess instead of one per file keeps the suite
fast, and the limit holds for every case.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import resource
import sys
import time


@contextlib.contextmanager
def _no_passwd_entry(active: bool):
    """As for a user without a passwd entry: pwd knows nothing of this uid."""
    if not active:
        yield
        return
    import pwd

    real = pwd.getpwuid

    def unknown(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    pwd.getpwuid = unknown
    try:
        yield
    finally:
        pwd.getpwuid = real


def run(case: dict) -> dict:
    from click.testing import CliRunner

    from mnist_infer.cli import cli

    outcome: dict = {"id": case["id"]}
    start = time.perf_counter()
    with _no_passwd_entry(case.get("no_passwd", False)):
        if case.get("argv") is not None:
            result = CliRunner().invoke(cli, case["argv"], env=case.get("env"))
            escaped = result.exception if not isinstance(result.exception, SystemExit) else None
            outcome.update(
                exit_code=result.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
                escaped=None if escaped is None else f"{type(escaped).__name__}: {escaped}",
            )
        if case.get("call") is not None:
            module, function, path = case["call"]
            try:
                getattr(importlib.import_module(module), function)(path)
                outcome["raised"] = None
            except Exception as exc:
                outcome["raised"] = [cls.__name__ for cls in type(exc).__mro__]
                outcome["message"] = str(exc)
    outcome["seconds"] = time.perf_counter() - start
    return outcome


def run_as(case: dict) -> dict:
    """``run(case)`` in a child process that has dropped root for ``case["as_uid"]``."""
    import os

    # Everything a command imports lazily, imported now: the child may not read the interpreter's files.
    for module in ("numpy", "rich.console", "rich.table", "rich.panel", "rich.progress", "PIL.Image", "requests"):
        importlib.import_module(module)
    for module in ("difflib", "concurrent.futures", "concurrent.futures.thread", "socket", "zipfile"):
        importlib.import_module(module)
    for module in ("data.mnist", "data.cache", "data.pictures", "weights", "inference", "download", "cli.evaluate"):
        importlib.import_module(f"mnist_infer.{module}")
    for module in ("cli.download", "views.results", "views.draw", "views.plain", "views.pictures"):
        importlib.import_module(f"mnist_infer.{module}")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        try:
            os.setgid(case["as_uid"])
            os.setuid(case["as_uid"])
            payload = json.dumps(run(case)).encode()
        except BaseException as exc:  # reported, never raised into a copy of the runner
            payload = json.dumps({"id": case["id"], "escaped": f"{type(exc).__name__}: {exc}"}).encode()
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(child, 0)
    return json.loads(payload)


def main() -> None:
    limit = int(sys.argv[1])
    cases = json.load(sys.stdin)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    outcomes = [run_as(case) if case.get("as_uid") is not None else run(case) for case in cases]
    outcomes.append({"id": "peak-rss-kib", "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
    json.dump(outcomes, sys.stdout)


if __name__ == "__main__":
    main()
