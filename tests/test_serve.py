"""`mnist-infer serve`: the API as functions, and a real server on 127.0.0.1 — answers, refusals, limits."""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from conftest import FIRST_TEST_LABELS, copy_packaged, packaged, shared_path
from hostile import bad_images, costly_pictures, png_claiming
from mnist_infer import i18n
from mnist_infer.catalog import NOT_SURE_BELOW
from mnist_infer.cli import cli
from mnist_infer.data.idx import write_idx
from mnist_infer.data.mnist import images_to_inputs
from mnist_infer.data.pictures import prepare_image
from mnist_infer.errors import ImageError
from mnist_infer.inference import why
from mnist_infer.serve import api
from mnist_infer.serve import server as server_module
from mnist_infer.serve.hosts import HostPolicy, lan_address
from mnist_infer.serve.page import PAGE_MESSAGES
from mnist_infer.serve.server import PageServer
from serving import (  # noqa: F401 (fixtures)
    call,
    compile_catalog,
    model_fixture,
    raw,
    running,
    serve_command,
    served_data_fixture,
    server_fixture,
    strict_json,
)
from strokes import DIGITS, TEE, render


def png_of(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


SEVEN = render(DIGITS[7])


# --- the answer is predict --image's --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drawing", "jpeg-photo"])
def test_answer_is_predict_images_plus_input_and_activations(
    kind: str, model: api.Model, served_data: Path, tmp_path: Path
) -> None:
    if kind == "drawing":
        data, path = SEVEN, tmp_path / "seven.png"
    else:  # a real test digit, dark ink on light paper, in colour, as a JPEG
        digit = 255 - np.kron(model.test_set().images[0], np.ones((4, 4), dtype=np.uint8))
        data, path = png_of(np.stack([digit, digit, np.full_like(digit, 230)], axis=-1), "JPEG"), tmp_path / "p.jpg"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["predict", "--image", str(path), "--json", "--data-dir", str(served_data)])
    assert result.exit_code == 0, result.output
    expected = json.loads(result.output)["predictions"][0]

    answer = api.predict_image(model, data)
    assert {key: answer[key] for key in expected if key != "source"} == {
        key: value for key, value in expected.items() if key != "source"
    }
    assert answer["source"] == "upload"
    assert answer["prediction"] == 7
    np.testing.assert_array_equal(np.array(answer["input"], dtype=np.uint8), prepare_image(path).pixels)
    activations = answer["activations"]
    assert [len(activations[name]) for name in ("z1", "z2", "y")] == [50, 100, 10]
    assert activations["y"] == answer["probabilities"]
    assert all(0.0 < value < 1.0 for name in ("z1", "z2") for value in activations[name])
    # z2 really is the layer before the output: the output layer applied to it gives y
    network = model.networks["sample_weight.pkl"].network
    a3 = np.array(activations["z2"], dtype=np.float32) @ network.params["W3"] + network.params["b3"]
    y = np.exp(a3 - a3.max()) / np.exp(a3 - a3.max()).sum()
    np.testing.assert_allclose(y, answer["probabilities"], rtol=1e-4, atol=1e-6)


def test_image_bytes_read_like_the_file(tmp_path: Path) -> None:
    path = tmp_path / "seven.png"
    path.write_bytes(SEVEN)
    from_file, from_bytes = prepare_image(path), prepare_image(SEVEN)
    np.testing.assert_array_equal(from_file.pixels, from_bytes.pixels)
    np.testing.assert_array_equal(from_file.preview, from_bytes.preview)
    assert str(from_bytes.path) == "upload"


@pytest.mark.parametrize("name", sorted(bad_images()))
def test_bad_image_bytes_are_errors_named_after_the_upload(name: str) -> None:
    data, message = bad_images()[name]
    with pytest.raises(ImageError, match=message) as caught:
        prepare_image(data, "drawing.png")
    assert str(caught.value).startswith("drawing.png: ")


def test_test_digit_and_info(model: api.Model) -> None:
    first = [api.test_digit(model, i) for i in range(len(FIRST_TEST_LABELS))]
    assert [item["label"] for item in first] == FIRST_TEST_LABELS
    assert first[0]["source"] == "test[0]" and first[0]["index"] == 0
    np.testing.assert_array_equal(np.array(first[3]["input"]), model.test_set().images[3])
    info = api.info(model)
    assert info["weights"]["sizes"] == [784, 50, 100, 10]
    assert info["weights"]["book"] is True
    assert info["test_set"] == {"available": True, "count": 10_000}
    from mnist_infer import __version__

    assert info["version"] == __version__


def test_the_chapter_8_network_is_served_too(tmp_path: Path) -> None:
    """`serve --weights deep_convnet_params.pkl`: the same answer as predict --image, its one hidden vector drawn."""
    cnn = api.load_model(packaged("deep_convnet_params.pkl"))
    info = api.info(cnn)
    assert info["weights"]["architecture"] == "DeepConvNet" and info["weights"]["known_as"] == "deep_convnet_params.pkl"
    assert info["weights"]["chapter"] == 8 and info["weights"]["book"] is True
    assert info["layers"] == ["z7", "y"] and info["weights"]["sizes"] == [784, 50, 10]
    (tmp_path / "seven.png").write_bytes(SEVEN)
    result = CliRunner().invoke(
        cli, ["predict", "--image", str(tmp_path / "seven.png"), "--weights", "deep_convnet_params.pkl", "--json"]
    )
    assert result.exit_code == 0, result.output
    expected = json.loads(result.output)["predictions"][0]
    with running(cnn) as server:
        status, answer, _ = call(server, "POST", "/api/predict", SEVEN)
        assert status == 200 and answer["prediction"] == expected["prediction"] == 7
        assert answer["probabilities"] == expected["probabilities"] == answer["activations"]["y"]
        assert list(answer["activations"]) == info["layers"] and len(answer["activations"]["z7"]) == 50
        status, digit, _ = call(server, "GET", "/api/digit/8")  # the test digit the chapter 3 network misreads
        assert status == 200 and (digit["label"], digit["prediction"]) == (5, 5)


def test_without_test_set_and_with_other_weights(weights_file: Path, tmp_path: Path) -> None:
    from mnist_infer.weights import read_weights

    weights = tmp_path / "mine.npz"  # the book's weights, in another file: not the book's file
    np.savez(weights, **read_weights(weights_file).params)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert api.info(api.load_model(weights, empty))["test_set"] == {"available": True, "count": 10_000}  # packaged
    half = tmp_path / "half"  # the labels without the images: the split is missing, never completed from the package
    half.mkdir()
    write_idx(half / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    model = api.load_model(weights, half)
    info = api.info(model)
    assert info["weights"]["book"] is False and info["weights"]["known_as"] is None
    assert info["test_set"]["available"] is False
    assert "mnist-infer download" in info["test_set"]["reason"]
    with pytest.raises(api.NotFound, match="download"):
        api.test_digit(model, 0)
    assert api.predict_image(model, SEVEN)["prediction"] == 7  # only the weights are needed


# --- several networks, and what a CNN sees --------------------------------------------------------------------

DEEP = "deep_convnet_params.pkl"


@pytest.fixture(scope="module")
def networks(served_data: Path) -> api.Model:
    """What `serve` runs without --weights: the book's networks at hand (here chapter 3's and chapter 8's)."""
    return api.load_model(api.book_weights(served_data), served_data)


def grey(maps: dict) -> np.ndarray:
    """The bytes of a ``maps`` or ``filters`` entry as an array of its shape."""
    return np.frombuffer(base64.b64decode(maps["pixels"]), np.uint8).reshape(maps["shape"])


def test_serve_runs_the_books_networks_at_hand(served_data: Path, tmp_path: Path) -> None:
    found = api.book_weights(served_data)
    assert found == [served_data / "sample_weight.pkl", packaged(DEEP)]  # the data directory's copy first
    shutil.copy(shared_path("weights/params.pkl"), tmp_path / "params.pkl")
    model = api.load_model(api.book_weights(tmp_path), tmp_path)
    assert list(model.networks) == ["sample_weight.pkl", "params.pkl", DEEP]  # chapters 3, 7, 8
    simple = api.info(model)["networks"][1]
    assert simple["weights"]["architecture"] == "SimpleConvNet" and simple["weights"]["chapter"] == 7
    assert simple["maps"] == ["z1"] and simple["layers"] == ["z2", "y"] and simple["filters"]["shape"] == [30, 5, 5]
    answer = api.predict_image(model, SEVEN, "params.pkl")
    assert answer["prediction"] == 7 and answer["maps"]["z1"]["shape"] == [30, 24, 24]


def test_networks_are_called_by_their_file_names(weights_file: Path, tmp_path: Path) -> None:
    other = copy_packaged("sample_weight.pkl", tmp_path / "sample_weight.pkl")
    model = api.load_model([weights_file, other, packaged(DEEP)])
    assert list(model.networks) == [str(weights_file), str(other), DEEP]  # two of one name: by their paths
    with pytest.raises(api.NotFound, match=f"no network 'mine.npz' here; the networks are {weights_file}, "):
        api.predict_image(model, SEVEN, "mine.npz")


def test_what_a_cnn_sees_its_feature_maps_and_filters(networks: api.Model) -> None:
    info = api.info(networks)
    assert [each["id"] for each in info["networks"]] == ["sample_weight.pkl", DEEP]
    chapter_3, chapter_8 = info["networks"]
    assert (info["weights"], info["layers"]) == (chapter_3["weights"], ["z1", "z2", "y"])  # as before: the first
    assert chapter_3["maps"] == [] and chapter_3["filters"] is None
    assert chapter_8["maps"] == ["z1", "z2", "z3", "z4", "z5", "z6"] and chapter_8["layers"] == ["z7", "y"]
    steps = {step["name"]: step for step in chapter_8["steps"]}
    assert steps["a1"] == {"type": "conv", "filters": 16, "size": 3, "stride": 1, "pad": 1, "name": "a1"} | {
        "shape": [16, 28, 28]
    }
    assert steps["z4"] == {"type": "relu", "name": "z4", "shape": [32, 16, 16]}  # pad 2
    assert [step["name"] for step in chapter_8["steps"]][-3:] == ["d7", "a8", "d8"]
    # The first layer's filters as ch07's visualize_filter.py draws them: channel 0, each to its own range.
    w1 = networks.networks[DEEP].network.params["W1"][:, 0]
    filters = chapter_8["filters"]
    low, high = w1.min(axis=(1, 2), keepdims=True), w1.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(grey(filters), (w1 - low) / (high - low) * 255, atol=0.5 + 1e-3)
    assert (filters["min"], filters["max"]) == pytest.approx((w1.min(), w1.max()))

    answer = api.test_digit(networks, 8, DEEP)
    assert (answer["network"], answer["label"], answer["prediction"]) == (DEEP, 5, 5)
    assert list(answer["activations"]) == ["z7", "y"] and list(answer["maps"]) == chapter_8["maps"]
    trace: dict[str, np.ndarray] = {}
    networks.networks[DEEP].network.forward(images_to_inputs(networks.test_set().images[8:9]), trace)
    for name, maps in answer["maps"].items():  # each layer on its own scale, one byte a value
        values = trace[name][0]
        assert maps["shape"] == steps[name]["shape"] == list(values.shape)
        assert (maps["min"], maps["max"]) == pytest.approx((0.0, values.max()))  # ReLU: from 0
        restored = maps["min"] + grey(maps) / 255 * (maps["max"] - maps["min"])
        np.testing.assert_allclose(restored, values, atol=maps["max"] / 510 + 1e-6)
    assert answer["activations"]["z7"] == pytest.approx(trace["z7"][0].tolist(), rel=1e-6)
    # Every network's answer beside the chosen one's: the chapter 3 network misreads this 5 as a 6.
    assert [(each["network"], each["prediction"]) for each in answer["answers"]] == [
        ("sample_weight.pkl", 6),
        (DEEP, 5),
    ]
    assert answer["answers"][1]["probabilities"] == answer["probabilities"] == answer["activations"]["y"]
    first = api.test_digit(networks, 8)
    assert (first["network"], first["prediction"], first["maps"]) == ("sample_weight.pkl", 6, {})
    assert first["answers"] == answer["answers"]
    # Compact: 47,648 values of feature maps in about 70 kB of JSON (as floats they would take a megabyte).
    assert (
        len(json.dumps(answer)) < 100_000 < len(json.dumps({name: trace[name][0].tolist() for name in answer["maps"]}))
    )


# --- looking inside: what a unit looks for, its input sum, "not sure", which pixels decided ----------------------


def test_each_unit_of_the_first_layer_its_template_input_sum_and_value(networks: api.Model) -> None:
    """What the page shows for a unit it is clicked on: the unit's weights as a picture (sent once, in /api/info),
    its input sum a = x·W + b and its value for the digit shown (in each answer); for a CNN, a map's filter."""
    chapter_3, chapter_8 = api.info(networks)["networks"]
    network = networks.networks["sample_weight.pkl"].network
    W1, b1 = network.params["W1"], network.params["b1"]
    templates = chapter_3["templates"]
    assert templates["layer"] == "z1" and templates["shape"] == [50, 28, 28]
    for unit in (0, 7, 49):  # unit k's template is the column k of W1, as a 28×28 picture on its own scale
        column = W1[:, unit].reshape(28, 28)
        expected = (column - column.min()) / (column.max() - column.min()) * 255
        np.testing.assert_allclose(grey(templates)[unit], expected, atol=0.5 + 1e-3)
    assert (templates["min"], templates["max"]) == pytest.approx((W1.min(), W1.max()))
    # A CNN's first maps are its filters': their pictures are sent once, under `filters`.
    assert chapter_8["templates"] == {"layer": "z1"} and grey(chapter_8["filters"]).shape == (16, 3, 3)

    answer = api.test_digit(networks, 3)
    x = networks.test_set().images[3].reshape(784) / np.float32(255)
    assert list(answer["sums"]) == ["a1", "a2", "a3"]
    np.testing.assert_allclose(answer["sums"]["a1"], x @ W1 + b1, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        answer["activations"]["z1"], 1 / (1 + np.exp(-np.array(answer["sums"]["a1"]))), 1e-5, 1e-7
    )
    a3 = np.array(answer["sums"]["a3"])
    np.testing.assert_allclose(np.exp(a3) / np.exp(a3).sum(), answer["probabilities"], rtol=1e-5)
    deep = api.test_digit(networks, 3, DEEP)
    assert [(name, len(values)) for name, values in deep["sums"].items()] == [("a7", 50), ("a8", 10)]


def test_not_sure_below_the_threshold(networks: api.Model) -> None:
    """The page says "not sure" where predict does: below catalog.NOT_SURE_BELOW, sent once in /api/info."""
    assert api.info(networks)["not_sure_below"] == NOT_SURE_BELOW == 0.9
    blank = api.answer(networks, np.zeros((28, 28), np.uint8), "blank")
    tee = api.predict_image(networks, render(TEE))
    for answer in (blank, tee):  # every network unsure of an empty picture, and of a T
        assert answer["sure"] is False and max(answer["probabilities"]) < NOT_SURE_BELOW
        assert [each["sure"] for each in answer["answers"]] == [False, False]
    eight = api.test_digit(networks, 8)  # sure, and wrong: 95% a 6 (sure is not right)
    assert eight["sure"] is True and eight["prediction"] == 6 and eight["label"] == 5
    assert [(each["prediction"], each["sure"]) for each in eight["answers"]] == [(6, True), (5, False)]
    assert api.test_digit(networks, 0)["sure"] is True  # a clear 7


@pytest.mark.parametrize("name", ["sample_weight.pkl", DEEP])
def test_which_pixels_decided(networks: api.Model, name: str) -> None:
    """The saliency map is explain --why's, and its signs mean what the page's legend says: without the ink it marks
    for the answer (red), the answer's lead over the runner-up (`versus`) falls; for the MLP, without the ink marked
    against it (blue), the lead grows."""
    network = networks.networks[name].network

    def lead(picture: np.ndarray, classes: tuple[int, int]) -> float:
        p = api.answer(networks, picture.astype(np.uint8), "test", name)["probabilities"]
        return float(np.log(p[classes[0]]) - np.log(p[classes[1]]))

    for index in range(6):
        pixels = np.array(networks.test_set().images[index])
        answer = api.answer(networks, pixels, "test", name)
        saliency, classes = np.array(answer["saliency"]), (answer["prediction"], answer["versus"])
        assert saliency.shape == (28, 28) and classes[0] != classes[1]
        assert np.all(saliency[pixels == 0] == 0) and saliency.max() > 0  # input × gradient: only ink counts
        expected = why(network, pixels)
        assert expected.classes == classes
        np.testing.assert_allclose(saliency, expected.map, rtol=1e-6)
        assert lead(np.where(saliency > 0, 0, pixels), classes) < lead(pixels, classes)
        if name == "sample_weight.pkl":
            assert lead(pixels, classes) < lead(np.where(saliency < 0, 0, pixels), classes)


def test_a_saliency_map_that_overflows_is_left_out_not_the_answer() -> None:
    """Weights whose forward pass stays finite but whose gradient does not (W1·W2 beyond float32, a faint pixel):
    the answer comes, without its map."""
    from mnist_infer.model.network import Network, mlp

    architecture = mlp((1,), "relu")
    params = {"W1": np.full((784, 1), 1e20), "b1": np.zeros(1), "W2": np.zeros((1, 10)), "b2": np.zeros(10)}
    params["W2"][0, 9] = 1e19
    model = api.Model({"huge.npz": api.Net(Network(architecture, params), Path("huge.npz"))})
    faint = np.zeros((28, 28), np.uint8)
    faint[14, 14] = 3
    answer = api.answer(model, faint, "faint")
    assert answer["prediction"] == 9 and answer["saliency"] is None
    assert strict_json(json.dumps(answer, allow_nan=False))["sums"]["a2"][9] == pytest.approx(3 / 255 * 1e39, rel=1e-3)


def test_answers_at_the_same_time_are_each_their_own(networks: api.Model) -> None:
    """The server answers requests on threads: the saliency's backward pass, which reads what the forward pass left
    in each layer, never reads another request's."""
    images = networks.test_set().images[:12]
    alone = [api.answer(networks, image, "test", DEEP)["saliency"] for image in images]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda image: api.answer(networks, image, "test", DEEP)["saliency"], images))
    assert together == alone


def test_the_network_parameter_over_http(networks: api.Model, tmp_path: Path) -> None:
    (tmp_path / "seven.png").write_bytes(SEVEN)
    result = CliRunner().invoke(cli, ["predict", "--image", str(tmp_path / "seven.png"), "--weights", DEEP, "--json"])
    expected = json.loads(result.output)["predictions"][0]
    with running(networks) as server:
        status, answer, _ = call(server, "POST", f"/api/predict?network={DEEP}", SEVEN)
        assert status == 200 and answer["network"] == DEEP
        assert (answer["prediction"], answer["probabilities"]) == (expected["prediction"], expected["probabilities"])
        status, first, _ = call(server, "POST", "/api/predict", SEVEN)
        assert status == 200 and first["network"] == "sample_weight.pkl" and first["answers"] == answer["answers"]
        status, digit, _ = call(server, "GET", f"/api/digit/8?network={DEEP}")
        assert status == 200 and (digit["label"], digit["prediction"]) == (5, 5)
        for method, path in (("POST", "/api/predict?network=params.pkl"), ("GET", "/api/digit/0?network=..%2Fx")):
            status, error, _ = call(server, method, path, SEVEN if method == "POST" else None)
            assert status == 404 and f"the networks are sample_weight.pkl, {DEEP}" in error["error"], error


# --- the page's language --------------------------------------------------------------------------------------


class PageText(HTMLParser):
    """The messages of index.html (the text of each data-t element, the attributes data-t-attrs names), and the
    text outside them that would stay English (text in translate="no" is not for translation: file names, code)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.untranslated: list[str] = []
        self.open: list[tuple[bool, list[str] | None]] = []  # each open element: (kept as is, its text if data-t)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        self.messages += [found[name] for name in (found.get("data-t-attrs") or "").split()]
        if tag not in ("meta", "link", "br", "input", "img"):
            kept = any(kept for kept, _ in self.open) or found.get("translate") == "no" or tag in ("script", "style")
            self.open.append((kept or "data-t" in found, [] if "data-t" in found else None))

    def handle_endtag(self, tag: str) -> None:
        _, text = self.open.pop()
        if text is not None:
            self.messages.append(" ".join("".join(text).split()))

    def handle_data(self, data: str) -> None:
        for _, text in self.open:
            if text is not None:
                text.append(data)
        if re.search("[A-Za-z]", data) and not any(kept for kept, _ in self.open):
            self.untranslated.append(data.strip())


def test_every_text_of_the_page_is_a_message() -> None:
    static = Path(server_module.__file__).parent / "static"
    page = PageText()
    page.feed((static / "index.html").read_text("utf-8"))
    assert page.untranslated == []
    script = (static / "app.js").read_text("utf-8")
    calls = re.findall(r'\bt\((\s*"(?:[^"\\]|\\.)*")?', script)
    assert calls and all(calls), "t() takes the message itself, a string literal"
    in_script = [json.loads(literal) for literal in calls]
    assert sorted(set(page.messages + in_script)) == sorted(PAGE_MESSAGES)  # each listed, none left over
    assert len(set(PAGE_MESSAGES)) == len(PAGE_MESSAGES)
    assert not [message for message in PAGE_MESSAGES if re.search(r"\{[^}]*[^\w}][^}]*\}", message)]  # {fields}


def test_messages_and_errors_in_the_requests_language(
    model: api.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.language(None, None) == api.language("fr", "de-DE,de;q=0.9") == api.language("../../x", None) == "en"
    assert api.language("ko", "en") == api.language(None, "ko-KR,ko;q=0.9,en;q=0.8") == api.language("xx", "ko") == "ko"
    assert api.language("en", "ko") == "en"  # ?lang= before Accept-Language
    with running(model) as server:
        status, messages, _ = call(server, "GET", "/api/messages?lang=ko")  # the package's Korean catalog
        assert status == 200 and set(messages) == set(PAGE_MESSAGES) and messages["Undo"] == "되돌리기"
        status, messages, _ = call(server, "GET", "/api/messages?lang=fr")  # no French one: English
        assert status == 200 and messages == {message: message for message in PAGE_MESSAGES}
        korean = {
            "Draw a digit": "숫자를 그려 보세요",
            "{path}: no digit found (no ink stands out from the background)": "{path}: 숫자가 없습니다 (잉크 없음)",
            "no network {name!r} here; the networks are {known}": "{name!r} 신경망은 없습니다. 있는 신경망: {known}",
        }
        monkeypatch.setattr(i18n, "LOCALES", tmp_path)
        compile_catalog(tmp_path, "ko", korean)
        for path, headers in (("/api/messages?lang=ko", {}), ("/api/messages", {"Accept-Language": "ko-KR,ko"})):
            status, messages, _ = call(server, "GET", path, headers=headers)
            assert status == 200 and messages["Draw a digit"] == "숫자를 그려 보세요" and messages["Undo"] == "Undo"
        status, messages, _ = call(server, "GET", "/api/messages?lang=en", headers={"Accept-Language": "ko"})
        assert messages["Draw a digit"] == "Draw a digit"
        white = bad_images()["no-ink.png"][0]
        status, error, _ = call(server, "POST", "/api/predict", white, {"Accept-Language": "ko"})
        assert status == 400 and error["error"] == "upload: 숫자가 없습니다 (잉크 없음)"
        status, error, _ = call(server, "GET", "/api/digit/0?network=x&lang=ko")
        assert status == 404 and error["error"] == "'x' 신경망은 없습니다. 있는 신경망: sample_weight.pkl"
        status, error, _ = call(server, "POST", "/api/predict", white)  # no language asked for: English
        assert error["error"] == "upload: no digit found (no ink stands out from the background)"


def test_the_servers_own_errors_speak_the_requests_language(server: PageServer) -> None:
    """A wrong page, a wrong method, an empty body: told in the language asked for (the package's Korean catalog),
    as the API's other answers are; English without one."""
    hangul = re.compile(r"[\uac00-\ud7a3]")
    asked = (("?lang=ko", {}), ("", {"Accept-Language": "ko-KR,ko;q=0.9"}))
    for query, headers in asked:
        for method, path, body, expected in (
            ("GET", "/nowhere", None, 404),
            ("GET", "/api/predict", None, 405),
            ("POST", "/api/info", b"x", 405),
            ("POST", "/api/predict", b"", 400),
            ("GET", "/api/digit/-1", None, 404),
            ("PUT", "/api/info", b"x", 405),  # the standard library's own refusals too
            ("DELETE", "/api/info", None, 405),
        ):
            status, answer, _ = call(server, method, path + query, body, headers)
            assert status == expected and hangul.search(answer["error"]), (path, answer)
    status, answer, sent = call(server, "PUT", "/api/info", b"x")
    assert answer["error"] == "PUT: this server answers GET, HEAD and POST" and sent["Allow"] == "GET, HEAD, POST"
    refused = raw(server, b"GET / HTTP/1.1 extra\r\n\r\n")
    assert refused == b'{"error":"a malformed request"}'  # no status line: the request line was never understood
    status, answer, _ = call(server, "GET", "/nowhere")
    assert status == 404 and answer["error"].startswith("no such page: /nowhere;")
    assert "/api/messages" in answer["error"]
    status, answer, _ = call(server, "GET", "/api/digit/-1")
    assert status == 404 and "index -1 is out of range" in answer["error"] and "0–9999" in answer["error"]
    status, answer, _ = call(server, "GET", "/api/digit/99999999999999")
    assert status == 404 and "out of range" in answer["error"]


# --- which Host a request may name ----------------------------------------------------------------------------


def test_host_policy() -> None:
    local = HostPolicy("127.0.0.1", "127.0.0.1")
    allowed = ["localhost", "localhost:8000", "127.0.0.1:1", "[::1]:8000", "LocalHost."]
    assert all(map(local.allows_host_header, allowed))
    refused = ["evil.example", "localhost.evil.example:8000", "10.0.0.5", "[::1", "", None, "127.0.0.1:8000:1"]
    assert not any(map(local.allows_host_header, refused))
    everywhere = HostPolicy("0.0.0.0", "0.0.0.0")
    assert everywhere.allows_host_header("192.168.1.20:8000") and everywhere.allows_host_header("[fe80::1]:8000")
    assert not everywhere.allows_host_header("evil.example:8000")
    assert local.allows_origin(None) and local.allows_origin("http://localhost:8000", "127.0.0.1:8000")
    assert local.allows_origin("http://127.0.0.1", "localhost") and local.allows_origin("http://[::1]:80", "[::1]")
    refused = ["null", "http://evil.example", "file://", "http://[::1", "ftp://localhost", "http://localhost:99999"]
    assert not any(local.allows_origin(origin, "localhost:8000") for origin in refused)
    # The same host on another port or scheme is another site: another server of this machine, say.
    for origin in ("http://localhost:9999", "https://localhost:8000", "http://localhost", "https://127.0.0.1"):
        assert not local.allows_origin(origin, "localhost:8000"), origin


@given(st.text(max_size=60))
def test_host_headers_never_raise_and_allow_only_this_server(header: str) -> None:
    policy = HostPolicy("127.0.0.1", "127.0.0.1")
    if policy.allows_host_header(header):
        assert header.strip().lower().rstrip(".").startswith(("localhost", "127.0.0.1", "[::1]", "::1"))
    policy.allows_origin(header)


# --- the server -----------------------------------------------------------------------------------------------


def test_predict_over_http(server: PageServer, model: api.Model) -> None:
    status, answer, headers = call(server, "POST", "/api/predict", SEVEN, {"Content-Type": "image/png"})
    assert status == 200
    assert answer == strict_json(json.dumps(api.predict_image(model, SEVEN)))
    assert headers["Cache-Control"] == "no-store"


def test_info_and_digit_over_http(server: PageServer) -> None:
    status, info, _ = call(server, "GET", "/api/info")
    assert status == 200 and info["weights"]["book"] is True
    status, digit, _ = call(server, "GET", "/api/digit/8")
    assert status == 200 and (digit["label"], digit["prediction"]) == (5, 6)  # a test digit the book's net misreads
    status, error, _ = call(server, "GET", "/api/digit/10000")
    assert status == 404 and "0–9999" in error["error"]


def test_the_page_and_its_files(server: PageServer) -> None:
    status, page, headers = call(server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for hook in ('id="pad"', 'id="clear"', 'id="prediction"', 'id="probabilities"', 'id="input28"', "aria-live"):
        assert hook.encode() in page
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    for path, kind in (("/app.js", "text/javascript"), ("/style.css", "text/css")):
        status, body, headers = call(server, "GET", path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and len(body) > 1000
    for name in ("index.html", "app.js", "style.css"):  # offline: nothing fetched from elsewhere
        text = (Path(server_module.__file__).parent / "static" / name).read_text("utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


@pytest.mark.parametrize(
    "path", ["/static/", "/static/app.js", "/../serve/server.py", "/%2e%2e/%2e%2e/etc/passwd", "/api", "//etc/passwd"]
)
def test_nothing_else_is_served(server: PageServer, path: str) -> None:
    status, body, _ = call(server, "GET", path)
    assert status == 404 and "error" in body


def test_dns_rebinding_and_other_sites_are_refused(server: PageServer) -> None:
    port = server.server_port
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "localhost.evil.example"):
        status, body, _ = call(server, "GET", "/api/info", headers={"Host": host})
        assert status == 403 and "not this server" in body["error"], host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "LOCALHOST"):
        assert call(server, "GET", "/api/info", headers={"Host": host})[0] == 200, host
    for origin in ("http://evil.example", "http://localhost:9999", "https://127.0.0.1", f"https://127.0.0.1:{port}",
                   "http://127.0.0.1", f"http://127.0.0.1:{port + 1}"):  # fmt: skip
        status, body, _ = call(server, "POST", "/api/predict", SEVEN, {"Origin": origin})
        assert status == 403 and "other sites" in body["error"], origin
    for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):
        assert call(server, "POST", "/api/predict", SEVEN, {"Origin": origin})[0] == 200
    reply = raw(server, b"GET /api/info HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400") and b"no Host header" in reply


@pytest.mark.parametrize("name", sorted(bad_images()))
def test_bad_bodies_get_4xx_and_the_server_goes_on(server: PageServer, name: str) -> None:
    data, message = bad_images()[name]
    status, body, _ = call(server, "POST", "/api/predict", data)
    assert 400 <= status < 500
    assert (message if data else "empty body") in body["error"]
    assert call(server, "POST", "/api/predict", SEVEN)[1]["prediction"] == 7


def test_refused_bodies(server: PageServer) -> None:
    port = server.server_port
    head = f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
    # Over the limit: refused from the Content-Length alone, no byte of the body sent (so none was read).
    reply = raw(server, head + b"Content-Length: 10485761\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413") and b"10,485,760" in reply
    reply = raw(server, head + b"Content-Length: 10485761\r\nExpect: 100-continue\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413") and b"100 Continue" not in reply
    reply = raw(server, head + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 411") and b"not chunked" in reply
    assert raw(server, head + b"Connection: close\r\n\r\n").startswith(b"HTTP/1.1 411")
    assert raw(server, head + b"Content-Length: -5\r\n\r\n").startswith(b"HTTP/1.1 400")
    reply = raw(server, head + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n")  # more digits than int() takes
    assert reply.startswith(b"HTTP/1.1 413") and b"10,485,760" in reply
    status, body, _ = call(server, "POST", "/api/predict", b"x", {"Content-Type": "multipart/form-data; boundary=x"})
    assert status == 415 and "--data-binary" in body["error"]
    # A client that sends the whole oversized body anyway still reads the answer, not a reset connection.
    status, body, _ = call(server, "POST", "/api/predict", bytes(10 * 1024 * 1024 + 1))
    assert status == 413
    assert call(server, "GET", "/api/predict")[0] == 405
    assert call(server, "POST", "/api/info", b"x")[0] == 405
    assert call(server, "PUT", "/api/predict", b"x")[0] == 405  # a method this server does not take
    assert call(server, "POST", "/api/predict", SEVEN)[0] == 200


def test_surprises_are_a_json_500_and_the_server_goes_on(
    server: PageServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def broken(_model: api.Model, _translate: object) -> None:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(api, "info", broken)
    status, body, _ = call(server, "GET", "/api/info")
    assert status == 500 and body["error"] == "internal error (RuntimeError: something nobody expected)"
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.undo()
    assert call(server, "GET", "/api/info")[0] == 200
    # A GET with a body: answered, then the connection is closed (the body is not read as the next request).
    reply = raw(server, b"GET /api/info HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nGET /")
    assert reply.startswith(b"HTTP/1.1 200") and reply.count(b"HTTP/1.1") == 1
    chunked = b"GET /api/info HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\n"
    reply = raw(server, chunked)
    assert reply.startswith(b"HTTP/1.1 200") and b"error" not in reply  # the chunks are not read as a request


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Content-Length: \u00b2", b"is not a number of bytes"),  # a digit to str.isdigit(), not to int()
        ("Content-Length: \u00b9\u00b2", b"is not a number of bytes"),
        ("Content-Length: +5", b"is not a number of bytes"),
        ("Content-Length: 5 5", b"is not a number of bytes"),
        ("Content-Length: 0x10", b"is not a number of bytes"),
        ("Content-Length: 5\r\nContent-Length: 5", b"is not a number of bytes"),  # which one would a proxy believe?
        ("Content-Length: 5\r\nHost: evil.example", b"more than one Host header"),
        ("Content-Length: 5\r\nOrigin: null", b"other sites"),
    ],
)
def test_malformed_headers_are_answered_4xx(server: PageServer, header: str, words: bytes) -> None:
    """Never a dropped connection: each is answered, with a 4xx and a JSON error, and the server goes on."""
    head = f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1:{server.server_port}\r\n{header}\r\n\r\n"
    reply = raw(server, head.encode("latin-1") + b"hello")
    assert re.match(rb"HTTP/1.1 4\d\d ", reply) and b'{"error":' in reply and words in reply, reply
    assert call(server, "POST", "/api/predict", SEVEN)[0] == 200


@pytest.mark.parametrize("path", ["//[", "/?[", "/\x1b[2J", "/api/digit/\u00b2", "/api/digit/99999999999999"])
def test_odd_paths_are_answered(server: PageServer, path: str) -> None:
    reply = raw(server, f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode("latin-1"))
    assert re.match(rb"HTTP/1.1 [234]\d\d ", reply), reply  # answered, never dropped


def test_the_log_escapes_control_characters_in_process(model: api.Model, capfd: pytest.CaptureFixture) -> None:
    with running(model, log=True) as server:
        raw(server, b"GET /\x1b[2J\x07\x9b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    err = capfd.readouterr().err
    assert '"GET /\\x1b[2J\\x07\\x9b HTTP/1.1" 404 -\n' in err and not re.search("[\x1b\x07\x9b]", err), repr(err)


@pytest.mark.slow
def test_a_slow_client_never_holds_a_decoder(model: api.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two clients trickling their bodies a byte at a time, with one decoder: other pictures are answered at once,
    the slow ones get 408 when their time is up, and what they send after that is drained for a bounded time."""
    monkeypatch.setattr(server_module, "BODY_SECONDS", 1.0)
    monkeypatch.setattr(server_module, "DRAIN_SECONDS", 0.5)
    with running(model, decoders=1) as server:
        slow = [socket.create_connection(("127.0.0.1", server.server_port)) for _ in range(2)]
        for client in slow:
            head = f"POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(SEVEN)}\r\n\r\n"
            client.sendall(head.encode() + SEVEN[:100])
        started = time.monotonic()
        for _ in range(3):
            assert call(server, "POST", "/api/predict", SEVEN)[0] == 200
        assert time.monotonic() - started < 0.9  # before the slow ones' time is up
        replies = [b"", b""]
        deadline = time.monotonic() + 6
        for client in slow:
            client.settimeout(0.2)
        while not all(reply.endswith(b"}") for reply in replies) and time.monotonic() < deadline:
            for i, client in enumerate(slow):
                with contextlib.suppress(OSError):
                    client.sendall(b"x")  # still trickling, past the deadline
                with contextlib.suppress(TimeoutError):
                    replies[i] += client.recv(65536)
        assert all(reply.startswith(b"HTTP/1.1 408") for reply in replies), replies
        for client in slow:  # drained for a bounded time: then the server closes, though the client still sends
            closed, ended = False, time.monotonic() + 3
            while not closed and time.monotonic() < ended:
                try:
                    client.sendall(b"x")
                    closed = client.recv(65536) == b""
                except TimeoutError:
                    continue
                except OSError:  # reset: closed all the same
                    closed = True
            assert closed, "still drained"
            client.close()
        assert call(server, "POST", "/api/predict", SEVEN)[0] == 200


def test_bodies_in_memory_are_bounded(model: api.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """However many clients send at once: past BODIES bodies of the largest size, 503, never the memory."""
    monkeypatch.setattr(server_module, "BODIES", 2)
    with running(model, max_body=len(SEVEN)) as server:
        held = [socket.create_connection(("127.0.0.1", server.server_port)) for _ in range(2)]
        for client in held:  # all of a body but its last byte: held in memory
            head = f"POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(SEVEN)}\r\n\r\n"
            client.sendall(head.encode() + SEVEN[:-1])
        time.sleep(0.2)
        status, body, _ = call(server, "POST", "/api/predict", SEVEN)
        assert status == 503 and "busy" in body["error"]
        for client in held:
            client.sendall(SEVEN[-1:])
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
            client.close()
        assert call(server, "POST", "/api/predict", SEVEN)[0] == 200


@pytest.mark.slow
def test_100_concurrent_mixed_requests_all_answered(model: api.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    decoding, most = [0], [0]
    lock = threading.Lock()
    real = api.predict_image

    def counted(model, data, network=None, name="upload"):
        with lock:
            decoding[0] += 1
            most[0] = max(most[0], decoding[0])
        try:
            return real(model, data, network, name)
        finally:
            with lock:
                decoding[0] -= 1

    monkeypatch.setattr(api, "predict_image", counted)
    kinds = {
        "digit": (SEVEN, {}, 200),
        "photo": (png_of(255 - np.kron(model.test_set().images[1], np.ones((6, 6), np.uint8))), {}, 200),
        "text": (b"not an image", {}, 400),
        "bomb": (png_claiming(30000, 30000), {}, 400),
        "blank": (render([]), {}, 400),
        "rebinding": (SEVEN, {"Host": "evil.example"}, 403),
        "too-big": (bytes(10 * 1024 * 1024 + 1), {}, 413),
    }
    plan = [list(kinds)[i % len(kinds)] for i in range(100)]

    def send(name: str) -> int:
        body, headers, _ = kinds[name]
        return call(server, "POST", "/api/predict", body, headers)[0]

    with running(model, decoders=3) as server, ThreadPoolExecutor(100) as pool:
        assert list(pool.map(send, plan)) == [kinds[name][2] for name in plan]
        assert 1 <= most[0] <= 3
        assert call(server, "GET", "/api/info")[0] == 200


# --- the command ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_memory_stays_bounded_while_pictures_are_decoded_at_once(weights_file: Path, tmp_path: Path) -> None:
    """The costliest pictures, all at once: decoding shares one bound (MAX_DECODE_BYTES), the bodies
    another (BODIES of 10 MB); the server's peak memory stays within them."""
    from test_images import PICTURE_BOUND

    refused = costly_pictures(tmp_path)
    with serve_command("--weights", str(weights_file)) as (process, port):

        def post(path: Path) -> tuple[int, str]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("POST", "/api/predict", body=path.read_bytes())
            response = connection.getresponse()
            return response.status, response.read().decode()

        def peak() -> int:
            status = Path(f"/proc/{process.pid}/status").read_text()
            return int(status.split("VmHWM:")[1].split()[0]) * 1024

        (tmp_path / "seven.png").write_bytes(SEVEN)
        assert post(tmp_path / "seven.png")[0] == 200
        idle = peak()
        with ThreadPoolExecutor(len(refused)) as pool:
            answers = dict(zip(refused, pool.map(post, [tmp_path / name for name in refused]), strict=True))
        growth = peak() - idle
    assert growth < PICTURE_BOUND + server_module.BODIES * server_module.MAX_BODY_BYTES, f"{growth / 1e6:.0f} MB"
    for name, (status, body) in answers.items():
        assert status in (200, 400) and ("decompression bomb" in body) == refused[name], (name, body)


@pytest.mark.slow
def test_the_log_keeps_every_line_while_pictures_are_decoded(weights_file: Path, tmp_path: Path) -> None:
    """Decoders silence file descriptor 2 while they run: the log is written past them, a whole line at a time."""
    log = tmp_path / "log.txt"
    with serve_command("--log", "--weights", str(weights_file), stderr=log) as (_, port):

        def post(_: int) -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/api/predict", body=SEVEN)
            return connection.getresponse().status

        with ThreadPoolExecutor(30) as pool:
            assert list(pool.map(post, range(60))) == [200] * 60
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/info")
        assert connection.getresponse().status == 200
        time.sleep(0.2)
    lines = log.read_text().splitlines()
    assert sum('"POST /api/predict HTTP/1.1" 200' in line for line in lines) == 60, lines
    assert '"GET /api/info HTTP/1.1" 200' in lines[-1]
    assert all(re.fullmatch(r'127\.0\.0\.1 "(POST|GET) \S+ HTTP/1\.1" 200 -', line) for line in lines), lines


@pytest.mark.slow
def test_the_log_escapes_control_characters(weights_file: Path, tmp_path: Path) -> None:
    """A request line that would retitle the terminal and clear it is logged with its control characters escaped."""
    log = tmp_path / "log.txt"
    with serve_command("--log", "--weights", str(weights_file), stderr=log) as (_, port):
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET /\x1b]0;TITLE\x07\x1b[2J\x9b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert client.recv(65536).startswith(b"HTTP/1.1 404")
        time.sleep(0.2)
    text = log.read_text("utf-8")
    assert "/\\x1b]0;TITLE\\x07\\x1b[2J\\x9b" in text, text
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), repr(text)


def test_port_in_use_is_an_error_with_the_way_out(weights_file: Path, runner: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(cli, ["serve", "--port", str(port), "--weights", str(weights_file)])
    assert result.exit_code == 1
    assert f"Error: port {port} on 127.0.0.1 is in use" in result.output and "--port 0" in result.output


def test_missing_weights_is_an_error(tmp_path: Path, runner: CliRunner) -> None:
    missing = tmp_path / "mine.npz"
    result = runner.invoke(cli, ["serve", "--port", "0", "--weights", str(missing), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and f"Error: {missing}: no such weights file" in result.output


def test_unknown_host_is_an_error(weights_file: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["serve", "--port", "0", "--host", "256.1.1.1", "--weights", str(weights_file)])
    assert result.exit_code == 1 and "Error: cannot listen on '256.1.1.1'" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_runs_until_ctrl_c(stop: signal.Signals, tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"  # --open runs $BROWSER: a stand-in that writes down the address
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys; open({str(opened)!r}, 'w').write(sys.argv[1])\n")
    command = [sys.executable, "-m", "mnist_infer", "serve", "--port", "0", "--host", "0.0.0.0", "--open"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path)],  # no --weights: the book's networks at hand
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BROWSER": f"{sys.executable} {browser} %s"},
    )
    try:
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert url, first
        connection = http.client.HTTPConnection("127.0.0.1", int(url.group(1)), timeout=10)
        connection.request("GET", "/api/info")
        info = json.loads(connection.getresponse().read())
        assert info["weights"]["book"] is True and info["test_set"] == {"available": True, "count": 10_000}  # packaged
        assert [network["id"] for network in info["networks"]] == ["sample_weight.pkl", DEEP]
        connection.close()
        lan = lan_address()  # the address a phone on the same network uses (the Host policy lets it in)
        if lan is not None:
            second = process.stdout.readline()
            assert f"From another device on the same network (a phone): http://{lan}:{url.group(1)}/" in second
        deadline = time.monotonic() + 10
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 130, err  # stopped as the command line stops on Ctrl-C (`kill` too)
    assert "Traceback" not in err and "Stopped." in out
    assert "Listening on 0.0.0.0, not only on this computer" in err
    assert opened.read_text() == url.group(0)
