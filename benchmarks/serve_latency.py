"""How fast `mnist-infer serve` answers, and how it holds up under 100 concurrent mixed requests.

    python benchmarks/serve_latency.py [--requests 200] [--json]

Starts `mnist-infer serve --port 0` with the book's networks at hand (the package's copies: chapter 3's
sample_weight.pkl and chapter 8's DeepConvNet) as a separate process (as a user runs it), then:

1. latency: ``--requests`` POST /api/predict of a drawn digit (the pad's PNG, 280×280, as the page sends it),
   one after another on one kept-alive connection, as the page does; median and 90th percentile, end to end
   (HTTP, PNG decoding, preprocessing, every network's forward pass, the chosen one's layers, JSON), with each
   network chosen in turn (``?network=``). The same for a phone-sized JPEG photo.
2. in-process: the same work without HTTP (api.predict_image), and each network's forward pass alone.
3. load: 100 requests at once, mixed good and bad (drawing, photo, text, bomb, blank, wrong Host, 10 MB + 1,
   a 36-megapixel picture); every one must get its expected status (or 503, busy, if it waited 20 s for a
   decoder). The server's peak RSS (VmHWM) after it.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from mnist_infer.cli import configure_blas

configure_blas()  # in-process as in the server: one BLAS thread, set before numpy loads

import numpy as np  # noqa: E402
from measure import ROOT  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from hostile import png_claiming  # noqa: E402
from mnist_infer.paths import packaged_file  # noqa: E402
from mnist_infer.serve import api  # noqa: E402
from strokes import DIGITS, render  # noqa: E402

WEIGHTS = [packaged_file("sample_weight.pkl"), packaged_file("deep_convnet_params.pkl")]
NETWORKS = [path.name for path in WEIGHTS]


def start_server() -> tuple[subprocess.Popen, int]:
    weights = [argument for path in WEIGHTS for argument in ("--weights", str(path))]
    process = subprocess.Popen(
        [sys.executable, "-m", "mnist_infer", "serve", "--port", "0", *weights],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    match = re.search(r":(\d+)/", line)
    if not match:
        process.kill()
        raise SystemExit(f"the server did not start: {line}{process.stderr.read()}")
    return process, int(match.group(1))


def post(connection: http.client.HTTPConnection, body: bytes, headers: dict | None = None, network: str = "") -> int:
    connection.request("POST", f"/api/predict?network={network}", body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    return response.status


def latencies(port: int, body: bytes, count: int, network: str = "") -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(5):  # warm-up
        assert post(connection, body, network=network) == 200
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        status = post(connection, body, network=network)
        seconds.append(time.perf_counter() - start)
        assert status == 200, status
    connection.close()
    return seconds


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": 1000 * statistics.median(ordered),
        "p90_ms": 1000 * ordered[int(0.9 * (len(ordered) - 1))],
        "min_ms": 1000 * ordered[0],
    }


def in_process(body: bytes, count: int, network: str) -> dict[str, float]:
    model = api.load_model(WEIGHTS)
    answer = api.predict_image(model, body, network)
    x = np.array(answer["input"], dtype=np.float32).reshape(1, -1) / 255
    whole, forward = [], []
    for _ in range(count):
        start = time.perf_counter()
        api.predict_image(model, body, network)
        whole.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.networks[network].network.forward(x, {})
        forward.append(time.perf_counter() - start)
    return {
        "predict_image_median_ms": 1000 * statistics.median(whole),
        "forward_median_ms": 1000 * statistics.median(forward),
    }


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo(size: tuple[int, int]) -> bytes:
    """A JPEG of a drawn 3 on slightly uneven paper, ``size`` pixels, with sensor-like noise."""
    digit = Image.open(io.BytesIO(render(DIGITS[3], size=min(size)))).convert("L")
    rng = np.random.default_rng(0)
    paper = np.full((size[1], size[0]), 225, np.float32) + rng.normal(0, 6, (size[1], size[0]))
    paper[: digit.height, : digit.width] = np.minimum(paper[: digit.height, : digit.width], np.asarray(digit))
    return encoded(Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).convert("RGB"), "JPEG", quality=90)


def load(port: int) -> dict[str, object]:
    drawing = render(DIGITS[7])
    huge = Image.new("RGB", (6000, 6000), "white")  # 36 megapixels: under the decoding limit, 108 MB decoded
    huge.paste(Image.open(io.BytesIO(render(DIGITS[4], size=3000))).convert("RGB"), (1500, 1500))
    kinds = {
        "drawing": (drawing, {}, 200),
        "photo": (photo((1200, 1600)), {}, 200),
        "36-megapixel": (encoded(huge, "PNG"), {}, 200),
        "text": (b"not an image", {}, 400),
        "bomb": (png_claiming(30000, 30000), {}, 400),
        "blank": (render([]), {}, 400),
        "wrong-host": (drawing, {"Host": "evil.example"}, 403),
        "10MB+1": (bytes(10 * 1024 * 1024 + 1), {}, 413),
    }
    plan = [list(kinds)[i % len(kinds)] for i in range(100)]

    def send(name: str) -> tuple[str, int | str, float]:
        body, headers, _ = kinds[name]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start = time.perf_counter()
        try:
            return name, post(connection, body, headers), time.perf_counter() - start
        except OSError as exc:  # no answer at all: what must never happen
            return name, type(exc).__name__, time.perf_counter() - start
        finally:
            connection.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(100) as pool:
        results = list(pool.map(send, plan))
    wall = time.perf_counter() - start
    # 503 ("busy, try again") is a fair answer when the queue of pictures to decode is longer than 20 s.
    wrong = [(name, status) for name, status, _ in results if status not in (kinds[name][2], 503)]
    return {
        "requests": len(plan),
        "kinds": {name: kinds[name][2] for name in kinds},
        "all_answered_as_expected": not wrong,
        "unexpected": wrong,
        "busy_503": sum(status == 503 for _, status, _ in results),
        "wall_seconds": wall,
        "slowest_seconds": max(seconds for _, _, seconds in results),
    }


def peak_rss_mib(pid: int) -> float:
    status = open(f"/proc/{pid}/status").read()  # noqa: SIM115 (a one-line read)
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def main() -> None:
    count = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 200
    drawing, phone_photo = render(DIGITS[7]), photo((3000, 4000))
    process, port = start_server()
    try:
        report = {
            "requests": count,
            "drawing_png_bytes": len(drawing),
            "drawing": {network: summary(latencies(port, drawing, count, network)) for network in NETWORKS},
            "phone_photo_jpeg_bytes": len(phone_photo),
            "phone_photo": summary(latencies(port, phone_photo, max(20, count // 10))),
            "in_process_drawing": {network: in_process(drawing, count, network) for network in NETWORKS},
            "server_rss_mib_before_load": peak_rss_mib(process.pid),
            "load": load(port),
            "server_peak_rss_mib": peak_rss_mib(process.pid),
        }
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        report["still_serving"] = post(connection, drawing) == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2))
        return
    d, p, i, ld = report["drawing"], report["phone_photo"], report["in_process_drawing"], report["load"]
    print(f"POST /api/predict, drawn digit ({len(drawing):,} B PNG), {count} requests on one connection, each network")
    print("  (every answer runs all the networks; the chosen one's layers come with it):")
    for network in NETWORKS:
        n, m = d[network], i[network]
        print(
            f"  ?network={network}: median {n['median_ms']:.1f} ms, p90 {n['p90_ms']:.1f} ms, min {n['min_ms']:.1f} ms"
        )
        forward = m["forward_median_ms"]
        print(f"    in-process: predict_image {m['predict_image_median_ms']:.1f} ms, its forward pass {forward:.3f} ms")
    print(f"POST /api/predict, phone photo ({len(phone_photo):,} B JPEG, 3000×4000):")
    print(f"  median {p['median_ms']:.1f} ms, p90 {p['p90_ms']:.1f} ms")
    print(f"100 concurrent mixed requests ({', '.join(f'{k} → {v}' for k, v in ld['kinds'].items())}):")
    print(f"  all answered as expected: {ld['all_answered_as_expected']} {ld['unexpected'] or ''}")
    print(f"  busy (503, after waiting 20 s for a decoder): {ld['busy_503']}")
    print(f"  wall {ld['wall_seconds']:.2f} s, slowest request {ld['slowest_seconds']:.2f} s")
    print(
        f"server peak RSS: {report['server_rss_mib_before_load']:.0f} MiB before the load, "
        f"{report['server_peak_rss_mib']:.0f} MiB after; still serving: {report['still_serving']}"
    )


if __name__ == "__main__":
    main()
