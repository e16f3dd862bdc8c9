"""predict on users' pictures: preprocessing, every image format and mode, bad images, measured quality."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import photos
from conftest import TEST_FILES, fuzz_examples, packaged
from hostile import bad_images, costly_pictures, flat_jpeg, one_strip_tiff
from mnist_infer.cli import cli
from mnist_infer.data import load_split
from mnist_infer.data.idx import read_images, read_labels
from mnist_infer.data.pictures import BOX, image_files, prepare_image, to_mnist
from mnist_infer.errors import ImageError
from mnist_infer.inference import predict_files
from mnist_infer.weights import load_network
from strokes import DIGITS, render


@pytest.fixture(scope="module")
def reference():
    """The first 100 packaged test digits and the book's network (module-wide: loading is the slow part)."""
    images, labels = read_images(packaged(TEST_FILES[0])), read_labels(packaged(TEST_FILES[1]))
    return np.array(images[:100]), np.array(labels[:100]), load_network(packaged("sample_weight.pkl"))


def seven(reference) -> np.ndarray:
    images, labels, _ = reference
    assert labels[0] == 7
    return images[0]


# --- measured quality ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_photo_like_digits_are_read_at_least_90_percent(reference, tmp_path: Path) -> None:
    images, labels, network = reference
    written = photos.write_photos(images, tmp_path)
    per_kind = {}
    for kind, paths in written.items():
        predictions = predict_files(network, paths)
        per_kind[kind] = float(np.mean([p.prediction == label for p, label in zip(predictions, labels, strict=True)]))
    total = sum(len(paths) for paths in written.values())
    overall = float(np.mean(list(per_kind.values())))
    assert total >= 100
    assert overall >= 0.90, per_kind
    assert min(per_kind.values()) >= 0.85, per_kind


def test_unaltered_digits_survive_the_pipeline(reference) -> None:
    images, labels, network = reference
    prepared = np.stack([to_mnist(image.astype(np.float32) / 255) for image in images])
    direct = network.predict(images.reshape(len(images), -1) / 255.0)
    again = network.predict(prepared.reshape(len(images), -1) / 255.0)
    assert np.mean(again == labels) >= np.mean(direct == labels) - 0.03


# --- preprocessing ------------------------------------------------------------------------------------------


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    weights = image.astype(np.float64)
    total = weights.sum()
    return (weights.sum(axis=1) @ np.arange(28)) / total, (weights.sum(axis=0) @ np.arange(28)) / total


def test_output_is_mnist_like(reference) -> None:
    big = np.asarray(Image.fromarray(seven(reference)).resize((300, 300)), dtype=np.float32) / 255
    canvas = np.zeros((500, 700), np.float32)
    canvas[150:450, 320:620] = big  # off centre, large
    out = to_mnist(canvas)
    assert out.dtype == np.uint8 and out.shape == (28, 28) and out.max() == 255
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6
    rows, cols = np.nonzero(out)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (BOX, BOX + 1, BOX + 2)  # antialiased edges may add a pixel


def test_polarity_and_position_do_not_matter(reference) -> None:
    digit = seven(reference).astype(np.float32) / 255
    canvas = np.zeros((80, 80), np.float32)
    canvas[5:33, 40:68] = digit
    light_on_dark = to_mnist(canvas)
    dark_on_light = to_mnist(1.0 - canvas)
    assert np.abs(light_on_dark.astype(int) - dark_on_light.astype(int)).max() <= 2


def write_in_mode(digit: np.ndarray, mode: str, path: Path) -> Path:
    """The digit as dark ink on white, saved in ``mode`` (and a format that supports it)."""
    ink = 255 - digit
    grey = Image.fromarray(ink).resize((112, 112), Image.Resampling.BICUBIC)
    if mode == "I;16":
        array = np.asarray(grey, dtype=np.uint16) * 257
        image = Image.fromarray(array)
        assert image.mode == "I;16"
        image.save(path.with_suffix(".png"))
        return path.with_suffix(".png")
    formats = {
        "L": ".png",
        "RGB": ".jpg",
        "P": ".gif",
        "1": ".bmp",
        "LA": ".png",
        "CMYK": ".tiff",
        "RGBX": ".webp",
        "P-transparent": ".png",
        "RGBA": ".tiff",
        "F": ".tiff",
    }
    if mode == "RGBA":
        rgba = np.zeros((112, 112, 4), np.uint8)
        rgba[..., 3] = 255 - np.asarray(grey)
        image = Image.fromarray(rgba, "RGBA")
    elif mode == "P-transparent":
        image = grey.convert("RGB").quantize(16)
        image.info["transparency"] = 0
    elif mode == "RGBX":
        image = grey.convert("RGB")
    elif mode == "F":
        image = Image.fromarray(np.asarray(grey, np.float32) / 255.0, "F")
    else:
        image = grey.convert(mode)
    target = path.with_suffix(formats[mode])
    image.save(target)
    return target


@pytest.mark.parametrize("mode", ["L", "RGB", "P", "1", "LA", "CMYK", "RGBX", "P-transparent", "RGBA", "I;16", "F"])
def test_every_format_and_mode(reference, tmp_path: Path, mode: str) -> None:
    path = write_in_mode(seven(reference), mode, tmp_path / "seven")
    (prediction,) = predict_files(reference[2], [path])
    assert prediction.prediction == 7, mode


def test_sixteen_bit_pictures_larger_than_the_working_size(reference, tmp_path: Path) -> None:
    ink = Image.fromarray(255 - seven(reference)).resize((700, 700), Image.Resampling.BICUBIC)
    pixels = np.asarray(ink, dtype=np.uint16) * 257  # 16-bit, using the whole range
    paths = []
    for mode, dtype, big_tiff in [("I;16", "<u2", False), ("I;16B", ">u2", False), ("I;16", "<u2", True)]:
        paths.append(tmp_path / f"seven-{mode}-{big_tiff}.tiff")
        Image.frombytes(mode, ink.size, pixels.astype(dtype).tobytes()).save(paths[-1], big_tiff=big_tiff)
    little, big, big_tiff = predict_files(reference[2], paths)
    assert little.prediction == big.prediction == big_tiff.prediction == 7
    # Pillow alone shrinks big-endian 16-bit pixels into noise; the byte order must not matter.
    np.testing.assert_array_equal(big.image, little.image)
    np.testing.assert_array_equal(big_tiff.image, little.image)


@pytest.mark.parametrize(
    "head",
    [b"BM", b"\xff\xd8\xff\xe0", b"GIF89a", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"RIFF\x00\x00\x00\x00WEBPVP8 "],
)
def test_a_picture_that_is_only_its_signature_is_not_an_image(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "bare"
    path.write_bytes(head)
    with pytest.raises(ImageError, match=r"bare: (not an image this tool reads|cannot decode the image)") as caught:
        prepare_image(path)
    assert "buffer" not in str(caught.value) and "driver" not in str(caught.value)  # no Python internals


def test_a_large_jpeg_is_counted_as_decoded(reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mnist_infer.data.pictures as pictures

    monkeypatch.setattr(pictures, "MAX_PIXELS", 1_000_000)  # a 48-megapixel phone photo, scaled down 8 times
    picture = Image.fromarray(255 - seven(reference)).resize((1500, 1500)).resize((2000, 1500))
    picture.save(tmp_path / "photo.jpg", quality=90)
    picture.save(tmp_path / "progressive.jpg", quality=90, progressive=True)
    picture.save(tmp_path / "photo.png")
    (tmp_path / "interleaved.jpg").write_bytes(flat_jpeg(2000, 1500))
    (tmp_path / "separate-scans.jpg").write_bytes(flat_jpeg(2000, 1500, scans="separate"))
    assert prepare_image(tmp_path / "photo.jpg").pixels.max() == 255  # decoded at half size: 750,000 pixels
    with pytest.raises(ImageError, match=r"interleaved\.jpg: no digit found"):  # decoded (flat grey) at half size
        prepare_image(tmp_path / "interleaved.jpg")
    # libjpeg keeps every coefficient of a progressive JPEG, and of one whose components come in separate scans;
    # a PNG has no smaller decoding.
    for name in ("progressive.jpg", "separate-scans.jpg", "photo.png"):
        with pytest.raises(ImageError, match=f"{name}: 2000×1500 pixels, more than the 1,000,000"):
            prepare_image(tmp_path / name)  # refused before any pixel


PICTURE = 400 * 300  #: pixels of the pictures below


@pytest.mark.parametrize(
    ("name", "make", "cost"),
    [
        ("grey.png", lambda: _saved(Image.new("L", (400, 300), 255), "PNG"), PICTURE * 4),
        ("rgba.png", lambda: _saved(Image.new("RGBA", (400, 300)), "PNG"), PICTURE * 8),
        ("grey-16-bit.png", lambda: _saved(Image.new("I;16", (400, 300)), "PNG"), PICTURE * 8),
        ("rle.bmp", lambda: _saved(Image.new("P", (400, 300)), "BMP"), PICTURE * 6),
        ("lossless.webp", lambda: _saved(Image.new("RGB", (400, 300)), "WEBP", lossless=True), PICTURE * 17),
        ("rgba-16-bit-one-strip.tif", lambda: one_strip_tiff(400, 300), PICTURE * 12),
        ("grey-one-strip.tif", lambda: one_strip_tiff(400, 300, bits=8, samples=1), PICTURE * 5),
        ("cmyk-progressive.jpg", lambda: _saved(Image.new("CMYK", (400, 300)), "JPEG", progressive=True), PICTURE * 12),
        ("separate-scans.jpg", lambda: flat_jpeg(400, 300, scans="separate"), PICTURE * 10),
        (
            "grey-in-a-larger-tile.tif",
            lambda: one_strip_tiff(400, 300, bits=8, samples=1, tile=1024),
            PICTURE * 4 + 1024**2,
        ),
    ],
)
def test_what_decoding_takes_is_counted_from_the_header(
    name: str, make, cost: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each format and mode by the bytes its decoding takes (measured: docs/security.md), not by its pixels alone: a
    WebP or a 16-bit RGBA TIFF of 20 megapixels takes as much as 40 of grey, a TIFF's tile may be larger than it."""
    import mnist_infer.data.pictures as pictures

    path = tmp_path / name
    path.write_bytes(make())
    monkeypatch.setattr(pictures, "MAX_DECODE_BYTES", cost)  # exactly enough: decoded
    try:
        prepare_image(path)
    except ImageError as exc:  # a flat picture holds no digit: decoded all the same
        assert "no digit found" in str(exc), exc
    monkeypatch.setattr(pictures, "MAX_DECODE_BYTES", cost - 1)
    with pytest.raises(ImageError, match=rf"{name}: decoding these 400×300 pixels would take \d+ MB, more than"):
        prepare_image(path)


#: What decoding one picture may take, as docs/security.md promises: MAX_DECODE_BYTES as estimated from the header,
#: and the few MB of Pillow's and the preparation's own.
PICTURE_BOUND = 350_000_000


def _peak_of_predict(*args: str) -> tuple[int, str]:
    """The peak memory of ``mnist-infer predict ARGS --json`` (bytes) and the first line it wrote on stderr."""
    code = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print(*[l for l in open('/proc/self/status') if 'VmHWM' in l], file=sys.stderr))\n"
        "sys.argv = ['mnist-infer', *sys.argv[1:]]\n"
        "runpy.run_module('mnist_infer', run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", code, "predict", *args, "--json"], capture_output=True, text=True)
    return int(result.stderr.split("VmHWM:")[1].split()[0]) * 1024, result.stderr.splitlines()[0]


@pytest.mark.slow
def test_the_costliest_pictures_stay_under_the_memory_bound(tmp_path: Path) -> None:
    """Pictures of at most 10 MB that cost the most to decode: each refused from its header, or decoded within the
    bound; measured as the peak memory of `predict --image` beyond a drawn digit's."""
    refused = costly_pictures(tmp_path)
    (tmp_path / "seven.png").write_bytes(render(DIGITS[7]))
    idle, _ = _peak_of_predict("--image", str(tmp_path / "seven.png"))
    for name, refuse in refused.items():
        peak, error = _peak_of_predict("--image", str(tmp_path / name))
        assert peak - idle < PICTURE_BOUND, f"{name}: {(peak - idle) / 1e6:.0f} MB"
        assert ("decompression bomb" in error) == refuse, (name, error)


@pytest.mark.slow
def test_pictures_that_fail_to_decode_do_not_add_up(tmp_path: Path) -> None:
    """A folder of damaged pictures: each one's pixels go with it, not with the error kept for the report."""
    buffer = io.BytesIO()
    Image.new("RGBA", (3000, 3000), "white").save(buffer, format="PNG")
    for count in (1, 4):
        (tmp_path / str(count)).mkdir()
        for i in range(count):
            (tmp_path / str(count) / f"{i}.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) * 9 // 10])
    (one, _), (four, error) = (_peak_of_predict("--image", str(tmp_path / str(count))) for count in (1, 4))
    assert "4 of 4 pictures could not be read" in error and four - one < 20e6, (one, four)


def _saved(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def test_exif_orientation_is_applied(reference, tmp_path: Path) -> None:
    picture = Image.fromarray(255 - seven(reference)).resize((112, 112)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the camera held sideways
    picture.convert("RGB").save(tmp_path / "sideways.jpg", exif=exif.tobytes())
    (prediction,) = predict_files(reference[2], [tmp_path / "sideways.jpg"])
    assert prediction.prediction == 7


def test_directory_is_read_in_name_order_skipping_other_files(reference, tmp_path: Path) -> None:
    images, labels, network = reference
    for i in (2, 0, 1):
        Image.fromarray(images[i]).save(tmp_path / f"digit-{i}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"")
    files = image_files(tmp_path)
    assert [p.name for p in files] == ["digit-0.png", "digit-1.png", "digit-2.png"]
    assert [p.prediction for p in predict_files(network, files)] == labels[:3].tolist()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageError, match="no image files here"):
        image_files(empty)


# --- the command ----------------------------------------------------------------------------------------------


def test_predict_image_json_mixed_with_indices(data_dir: Path, tmp_path: Path, runner: CliRunner) -> None:
    image = load_split("test", data_dir).images[0]
    Image.fromarray(255 - image).save(tmp_path / "mine.png")
    result = runner.invoke(
        cli, ["predict", "1", "--image", str(tmp_path / "mine.png"), "--data-dir", str(data_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    first, mine = json.loads(result.stdout)["predictions"]
    assert first["source"] == "test[1]" and first["prediction"] == 2
    assert mine == {**mine, "source": str(tmp_path / "mine.png"), "index": None, "label": None, "prediction": 7}
    assert len(mine["probabilities"]) == 10


def test_predict_image_needs_no_mnist_data(weights_file: Path, tmp_path: Path, runner: CliRunner, reference) -> None:
    Image.fromarray(seven(reference)).save(tmp_path / "seven.png")
    result = runner.invoke(
        cli,
        [
            "predict",
            "--image",
            str(tmp_path / "seven.png"),
            "--weights",
            str(weights_file),
            "--data-dir",
            str(tmp_path / "no-data-here"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "prediction 7" in result.stdout and "label" not in result.stdout


def test_show_input_and_save_input(data_dir: Path, tmp_path: Path, runner: CliRunner, reference) -> None:
    Image.fromarray(255 - seven(reference)).resize((90, 60)).save(tmp_path / "wide.png")
    args = ["predict", "--image", str(tmp_path / "wide.png"), "--data-dir", str(data_dir)]
    plain = runner.invoke(cli, args).stdout
    shown = runner.invoke(cli, [*args, "--show-input", "--save-input", str(tmp_path / "inputs")]).stdout
    assert "what the network sees (28×28)" in shown and "what the network sees" not in plain
    # The picture's 19 rows (90×60, drawn 28 wide) become the input's 28, the picture beside it.
    assert shown.count("\n") >= plain.count("\n") + 28 - 19
    saved = np.asarray(Image.open(tmp_path / "inputs" / "wide.png"))
    np.testing.assert_array_equal(saved, prepare_image(tmp_path / "wide.png").pixels)
    assert "saved 1 input to" in shown


@pytest.mark.parametrize("name", sorted(bad_images()))
def test_bad_images_end_in_one_error(name: str, data_dir: Path, tmp_path: Path, runner: CliRunner) -> None:
    content, words = bad_images()[name]
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(cli, ["predict", "--image", str(path), "--data-dir", str(data_dir)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: ") and words in lines[0], result.stderr


@pytest.mark.parametrize("ink", ["dark", "light"])
def test_a_picture_is_drawn_as_digits_are_ink_dense(ink: str, data_dir: Path, tmp_path: Path, runner: CliRunner,
                                                    reference) -> None:  # fmt: skip
    """Into a pipe, one convention for every digit drawn in characters: ``@`` is ink, blank the background, for the
    user's picture (dark ink on paper, or light on dark) as for what the network sees."""
    digit = seven(reference)
    Image.fromarray(255 - digit if ink == "dark" else digit).save(tmp_path / "seven.png")
    args = ["predict", "--image", str(tmp_path / "seven.png"), "--data-dir", str(data_dir), "--show-input"]
    lines = runner.invoke(cli, args).stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("your picture")) + 1
    yours = [line[:56] for line in lines[start : start + 28]]  # the picture's 28 pixels, two characters each
    assert yours[0].strip() == "" and yours[-1].strip() == "", yours  # MNIST's margin: background, blank
    assert sum(line.count("@") for line in yours) > 20, yours  # the strokes: dense
    sees = [line[60:] for line in lines[start : start + 28]]
    assert sees[0].strip() == "" and sum(line.count("@") for line in sees) > 20, sees


def test_missing_image_is_an_error_not_a_usage_error(data_dir: Path, tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["predict", "--image", str(tmp_path / "absent.png"), "--data-dir", str(data_dir)])
    assert result.exit_code == 1 and "no such image file" in result.stderr


fuzz = settings(
    max_examples=fuzz_examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@fuzz
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_as_an_image(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.png"
    path.write_bytes(data)
    try:
        prepared = prepare_image(path)
    except ImageError:
        return
    assert prepared.pixels.shape == (28, 28)


@fuzz
@given(pixels=st.lists(st.integers(0, 255), min_size=4, max_size=400), width=st.integers(1, 20))
def test_arbitrary_pictures(tmp_path: Path, pixels: list[int], width: int) -> None:
    height = max(1, len(pixels) // width)
    array = np.resize(np.array(pixels, np.uint8), (height, width))
    Image.fromarray(array).save(tmp_path / "p.png")
    try:
        prepared = prepare_image(tmp_path / "p.png")
    except ImageError:
        return
    assert prepared.pixels.dtype == np.uint8 and prepared.pixels.shape == (28, 28)


# --- polarity: from the picture as a whole, whatever the digit's size on the canvas ---------------------------


@pytest.mark.parametrize("canvas", [200, 1000, pytest.param(4000, marks=pytest.mark.slow)])
def test_white_on_black_reads_like_its_black_on_white_twin(reference, tmp_path: Path, canvas: int) -> None:
    images, labels, network = reference
    four = images[4]
    assert labels[4] == 4
    rng = np.random.default_rng(canvas)
    for size in (40, 65, 120, 300, 900):
        if size > canvas:
            continue
        picture = np.zeros((canvas, canvas), np.uint8)
        top, left = rng.integers(0, canvas - size + 1, 2)
        picture[top : top + size, left : left + size] = Image.fromarray(four).resize((size, size), Image.BICUBIC)
        Image.fromarray(picture).save(tmp_path / "white-on-black.png")
        Image.fromarray(255 - picture).save(tmp_path / "black-on-white.png")
        light, dark = predict_files(network, [tmp_path / "white-on-black.png", tmp_path / "black-on-white.png"])
        assert (light.prediction, dark.prediction) == (4, 4), (canvas, size)
        # The same digit in the same place, but for rounding (a centre of mass may round to the next pixel).
        assert np.abs(light.image.astype(int) - dark.image.astype(int)).mean() < 8, (canvas, size)


# --- a folder with bad pictures: every readable one answered, each bad one reported -------------------------


@pytest.fixture
def mixed_folder(reference, tmp_path: Path) -> Path:
    images, _, _ = reference
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(255 - images[i]).resize((84, 84)).save(folder / f"digit-{i}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    Image.new("L", (60, 60), 255).save(folder / "blank.png")
    return folder


def test_a_folder_with_bad_pictures_answers_the_rest_and_exits_1(
    mixed_folder: Path, data_dir: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["predict", "--image", str(mixed_folder), "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 1
    entries = json.loads(result.stdout)["predictions"]
    assert [Path(e["source"]).name for e in entries] == [
        "blank.png",
        "broken.jpg",
        "digit-0.png",
        "digit-1.png",
        "digit-2.png",
    ]
    assert set(entries[0]) == {"source", "error"} and "no digit found" in entries[0]["error"]
    assert any(words in entries[1]["error"] for words in ("cannot decode", "not an image", "image file is truncated"))
    assert [e["prediction"] for e in entries[2:]] == [7, 2, 1]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: 2 of 5 pictures could not be read (first: ")
    text = runner.invoke(
        cli, ["predict", "--image", str(mixed_folder), "--data-dir", str(data_dir)], env={"COLUMNS": "100"}
    )
    words = " ".join(text.stdout.replace("│", " ").split())
    assert text.exit_code == 1 and words.count("could not be read") == 2 and words.count("prediction") == 3


def test_a_single_bad_picture_is_one_error_line(mixed_folder: Path, data_dir: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["predict", "--image", str(mixed_folder / "blank.png"), "--data-dir", str(data_dir)])
    assert result.exit_code == 1 and result.stdout == ""
    assert (
        result.stderr.strip()
        == f"Error: {mixed_folder / 'blank.png'}: no digit found (no ink stands out from the background)"
    )


@pytest.mark.parametrize("paper", [0.86, 0.92, 0.97, 0.99])
def test_a_dithered_picture_is_read_as_the_greys_it_stands_for(reference, tmp_path: Path, paper: float) -> None:
    images, labels, network = reference
    paths = []
    for i in range(10):
        ink = np.asarray(Image.fromarray(images[i]).resize((200, 200), Image.Resampling.BICUBIC), np.float32) / 255
        sheet = np.full((300, 400), paper, np.float32)
        sheet[50:250, 100:300] = sheet[50:250, 100:300] * (1 - ink) + 0.1 * ink
        paths.append(tmp_path / f"dithered-{i}.png")
        Image.fromarray((sheet * 255).astype(np.uint8)).convert("1").save(paths[-1])  # Floyd-Steinberg dots
    predictions = [p.prediction for p in predict_files(network, paths)]
    assert np.mean(np.array(predictions) == labels[:10]) >= 0.9  # grey paper as dots read as ink: 2 in 10


def test_a_drawing_in_two_levels_is_not_taken_for_dithering(reference, tmp_path: Path) -> None:
    from mnist_infer.data.pictures import _dithered

    drawing = Image.fromarray(255 - seven(reference)).resize((300, 300)).point(lambda v: 255 if v > 128 else 0)
    assert not _dithered(drawing) and not _dithered(drawing.convert("1"))
    assert _dithered(Image.fromarray(np.full((300, 300), 230, np.uint8)).convert("1"))  # grey paper, dithered


def test_an_empty_file_is_said_to_be_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.png: the file is empty; expected an image"):
        prepare_image(tmp_path / "empty.png")
