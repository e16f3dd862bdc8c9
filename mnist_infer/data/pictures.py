"""A user's picture of a digit → the 28×28 input the network expects, made the way MNIST was made.

MNIST digits are light on dark, fitted into a 20×20 box keeping their aspect ratio, and placed in a 28×28 field
with their centre of mass at the centre. A photo, a scan or a drawing is brought to the same form:

1. read safely: only PNG, JPEG, BMP, GIF, WebP and TIFF, and the memory its decoding takes, from what its header
   states, checked before any pixel is decoded (pictures decoded at once share that bound); the EXIF orientation
   applied;
2. transparency composited onto white, grey (16-bit keeps its range; a dithered two-level picture is averaged back
   to the greys its dots stand for);
3. the background found from the border and the paper's local brightness, inverted if need be (light on dark);
4. contrast stretched, faint noise cut (a picture with no ink: "no digit found");
5. cropped to the digit, resized to fit 20×20, placed by its centre of mass in 28×28.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from ..catalog import IMAGE_SIDE
from ..errors import N_, ImageError, os_reason
from ..paths import NotRegularFile, open_regular

#: The formats read (by content, whatever the name): not ICO, ICNS, DDS, EPS, PSD…, whose headers may misstate
#: the frame decoded, or whose decoders run other programs.
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")
FORMAT_NAMES = "PNG, JPEG, BMP, GIF, WebP, TIFF"
#: File extensions ``predict --image DIR`` picks up.
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
#: A 40-megapixel photo decodes; a picture whose decoding would take more is treated as a decompression bomb.
MAX_PIXELS = 40_000_000
#: The memory decoding may take (:func:`_decode_bytes`), for one picture and for all those decoded at once: a
#: 40-megapixel RGBA picture's. What it measures is in docs/security.md.
MAX_DECODE_BYTES = 330_000_000
BITS_PER_SAMPLE, SAMPLES_PER_PIXEL, TILE_WIDTH, TILE_LENGTH = 258, 277, 322, 323  #: TIFF tags
MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024
WORKING_SIZE = 512  #: pictures are reduced to at most this many pixels a side before any other work
EXIF_ORIENTATION = 0x0112
#: A two-level picture whose pixels differ from all four neighbours more often than this is dithered (dots standing
#: for grey), and is averaged over squares of 2·DITHER_RADIUS + 1 pixels first.
DITHER_DOTS = 0.01
DITHER_RADIUS = 2
BOX, FIELD = 20, IMAGE_SIDE  #: MNIST fits each digit into 20×20, then centres it in 28×28
MNIST_CENTRE = 14.0  #: MNIST's centre of mass (measured on the test set: 13.99, 14.02)
NOISE_FLOOR = 0.2  #: after stretching, ink fainter than this is background noise
MIN_INK_CONTRAST = 0.08  #: ink must differ from its background by more than this…
NOISE_MARGIN = 8.0  #: …and stand this many noise deviations (measured on the border) above the paper
BACKGROUND_WINDOW = 0.15  #: the paper's brightness is estimated over windows of this fraction of the picture
EXTREME_PIXELS = 3  #: polarity is read from this many of the darkest and lightest pixels
MAX_INK_COVER = 0.7  #: ink over more than this fraction of the picture is no digit
MIN_DIGIT_PIXELS = 4  #: nor is a speck smaller than this (at working size)


class PreparedImage(NamedTuple):
    """What the network sees, and what the user gave."""

    path: Path
    pixels: np.ndarray  #: uint8 (28, 28), light digit on dark, as an MNIST image
    preview: np.ndarray  #: uint8 grey picture as the user sees it, at most 28 pixels a side


def image_files(path: str | os.PathLike[str]) -> list[Path]:
    """``path`` itself, or the image files in the directory ``path``, sorted by name."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("."))
    if not found:
        raise ImageError(
            N_("{path}: no image files here ({extensions})"), path=path, extensions=", ".join(sorted(IMAGE_EXTENSIONS))
        )
    return found


def prepare_image(source: str | os.PathLike[str] | bytes, name: str = "upload") -> PreparedImage:
    """The picture at the path ``source`` (or an image file's bytes, called ``name``) as an MNIST-like digit."""
    path = Path(name if isinstance(source, bytes) else source)
    grey = decode_grey(io.BytesIO(source), name) if isinstance(source, bytes) else read_grey(path)
    return PreparedImage(path, to_mnist(grey, str(path)), _preview(grey))


def read_grey(path: Path) -> np.ndarray:
    """The picture file as float32 grey levels in [0, 1] (see :func:`decode_grey`); only a regular file is read."""
    try:
        stream, info = open_regular(path)
    except FileNotFoundError:
        raise ImageError(N_("{path}: no such image file"), path=path) from None
    except NotRegularFile as exc:
        raise ImageError(N_("{path}: is {kind}; expected an image file"), path=path, kind=exc.kind) from None
    except OSError as exc:
        raise ImageError(N_("{path}: cannot read the image ({reason})"), path=path, reason=os_reason(exc)) from None
    with stream:
        if info.st_size > MAX_IMAGE_FILE_BYTES:
            raise ImageError(
                N_("{path}: {size:,} bytes, more than the {limit:,} an image file may have here"),
                path=path,
                size=info.st_size,
                limit=MAX_IMAGE_FILE_BYTES,
            )
        return decode_grey(stream, str(path))


def decode_grey(stream: BinaryIO, source: str) -> np.ndarray:
    """Grey levels in [0, 1] (transparency composited onto white), at most WORKING_SIZE pixels a side.

    What decoding will cost is checked from the header before any pixel is decoded: at most MAX_PIXELS at the
    size decoded (a JPEG decoded a band at a time decodes at 1/2 to 1/8 when that is enough; one libjpeg keeps
    whole counts at full size), and at most MAX_DECODE_BYTES of memory. Any failure of a decoder is an ImageError.
    """
    from PIL import Image, UnidentifiedImageError

    # A picture's pixels in one block (Pillow's are 16 MiB): glibc maps a block that large apart and gives it back
    # to the system when freed; blocks of 16 MiB it keeps, in each thread's arena, for the next picture.
    Image.core.set_block_size(1 << 28)
    if not stream.read(1):
        raise ImageError(
            N_("{path}: the file is empty; expected an image ({formats})"), path=source, formats=FORMAT_NAMES
        )
    stream.seek(0)
    try:
        with warnings.catch_warnings(), _decoding() as reserve:
            warnings.simplefilter("ignore")  # EXIF and palette notes must not precede the one line of output
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=IMAGE_FORMATS) as image:
                width, height = image.size
                whole = image.format == "JPEG" and not _jpeg_in_bands(stream)
                image.draft("L" if image.mode != "RGBA" else image.mode, (WORKING_SIZE, WORKING_SIZE))
                cost = _decode_bytes(image, width * height if whole else 0)
                if (width * height if whole else image.size[0] * image.size[1]) > MAX_PIXELS:
                    raise ImageError(
                        N_(
                            "{path}: {width}×{height} pixels, more than the {limit:,} this tool decodes (a "
                            "decompression bomb?); scale the picture down first"
                        ),
                        path=source,
                        width=width,
                        height=height,
                        limit=MAX_PIXELS,
                    )
                if cost > MAX_DECODE_BYTES:
                    raise ImageError(
                        N_(
                            "{path}: decoding these {width}×{height} pixels would take {megabytes:,} MB, more than "
                            "the {limit:,} MB this tool allows (a decompression bomb?); scale the picture down first"
                        ),
                        path=source,
                        width=width,
                        height=height,
                        megabytes=cost // 1_000_000,
                        limit=MAX_DECODE_BYTES // 1_000_000,
                    )
                reserve(cost)  # waits while other decoders hold too much of MAX_DECODE_BYTES
                try:
                    return _to_grey(image)
                finally:
                    del image  # its memory (a WebP decoder's canvases with it) goes before the bytes are given back
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(source, exc) from None
    except (UnidentifiedImageError, SyntaxError):
        raise ImageError(
            N_("{path}: not an image this tool reads; expected {formats}"), path=source, formats=FORMAT_NAMES
        ) from None
    except MemoryError:
        raise ImageError(N_("{path}: not enough memory to decode the image"), path=source) from None
    except Exception as exc:  # a decoder's failure: Pillow's plugins raise anything from OSError to IndexError
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        if (
            isinstance(exc, OSError) and "truncated" in reason.lower()
        ):  # "image file is truncated", "Truncated File Read"
            raise ImageError(
                N_("{path}: the image file is truncated (it ends before its last pixel); save or download it again"),
                path=source,
            ) from None
        raise ImageError(
            N_("{path}: cannot decode the image ({reason}); is it truncated or damaged?"), path=source, reason=reason
        ) from None


def _bomb(source: str, exc: Exception) -> ImageError:
    """Pillow's own refusal of a header claiming more pixels than it decodes, in this tool's words: the pixels Pillow
    counted (in its message, the only place it gives them), against this tool's limit."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    if found is None:
        template = N_("{path}: more pixels than the {limit:,} this tool decodes (a decompression bomb?); scale it down")
        return ImageError(template, path=source, limit=MAX_PIXELS)
    template = N_(
        "{path}: {pixels:,} pixels, more than the {limit:,} this tool decodes (a decompression bomb?); scale the "
        "picture down first"
    )
    return ImageError(template, path=source, pixels=int(found.group(1)), limit=MAX_PIXELS)


def _jpeg_in_bands(stream: BinaryIO) -> bool:
    """Whether libjpeg decodes this JPEG a band at a time: a sequential one (SOF0, SOF1) whose first scan holds every
    component. Any other (progressive, its components in separate scans, anything unclear) it keeps whole."""
    start, frame = stream.tell(), b""
    try:
        stream.seek(2)
        while len(head := stream.read(4)) == 4 and head[0] == 0xFF:
            marker, segment = head[1], stream.read(max(0, int.from_bytes(head[2:], "big") - 2))
            if marker == 0xDA:  # the first scan: how many components it holds
                return frame[:1] in (b"\xc0", b"\xc1") and len(frame) == 2 and segment[:1] == frame[1:]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame: its kind and components
                frame = b"?" if frame else bytes([marker]) + segment[5:6]
        return False
    finally:
        stream.seek(start)


def _decode_bytes(image, whole_pixels: int) -> int:
    """The memory decoding ``image`` (drafted) and bringing it to grey takes at most, from its header, as measured
    for each format and mode read: Pillow's pixels (4 bytes a pixel, counting the copies of a dithered picture),
    with either a copy while reducing (transparency, 16-bit grey) or what a decoder keeps besides (WebP its canvases,
    a TIFF a strip or a tile of raw samples, which may be larger than the picture, a run-length BMP its runs); and
    libjpeg's coefficients of a JPEG it keeps whole (``whole_pixels`` at full size, 2 bytes a sample)."""
    pixels = image.size[0] * image.size[1]
    copy = 4 * pixels if image.mode in ("RGBA", "LA", "PA") or image.mode.startswith("I;16") else 0
    kept = {"WEBP": 13, "BMP": 2}.get(image.format, 0) * pixels
    if image.format == "TIFF":
        tags = image.tag_v2
        bits, area = tags.get(BITS_PER_SAMPLE, (8,)), max(pixels, tags.get(TILE_WIDTH, 0) * tags.get(TILE_LENGTH, 0))
        kept = area * max(tags.get(SAMPLES_PER_PIXEL, 1), len(bits)) * max(bits) // 8
    return 4 * pixels + max(copy, kept) + 2 * whole_pixels * len(getattr(image, "layer", ()))


class _Decoding:
    """What decoders running at once share: MAX_DECODE_BYTES of memory (``reserve(cost)`` waits until the cost fits;
    given back when the block ends), and file descriptor 2, pointed at devnull while any runs (libtiff prints its
    complaints there, where they would precede the one line of an error), restored by the last to finish."""

    def __init__(self) -> None:
        self._changed, self._users, self._bytes, self._saved = threading.Condition(), 0, 0, -1

    @contextlib.contextmanager
    def __call__(self) -> Iterator[Callable[[int], None]]:
        held = [0]

        def reserve(cost: int) -> None:
            with self._changed:
                self._changed.wait_for(lambda: self._bytes + cost <= MAX_DECODE_BYTES)
                self._bytes, held[0] = self._bytes + cost, held[0] + cost

        with self._changed:
            self._users += 1
            if self._users == 1:
                try:
                    self._saved = os.dup(2)
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, 2)
                    os.close(devnull)
                except OSError:  # no stderr at all: nothing to keep quiet
                    self._saved = -1
        try:
            yield reserve
        finally:
            with self._changed:
                self._bytes, self._users = self._bytes - held[0], self._users - 1
                if self._users == 0 and self._saved >= 0:
                    os.dup2(self._saved, 2)
                    os.close(self._saved)
                    self._saved = -1
                self._changed.notify_all()


_decoding = _Decoding()


def _to_grey(image) -> np.ndarray:
    from PIL import Image, ImageFilter

    if _dithered(image):  # dots standing for grey, which would otherwise read as ink
        image = image.convert("L").filter(ImageFilter.BoxBlur(DITHER_RADIUS))
    sixteen_bit = image.mode.startswith("I;16")
    if sixteen_bit and max(image.size) > WORKING_SIZE:
        image = image.convert("I")  # Pillow reduces big-endian 16-bit pixels into noise; 32-bit ones right
    image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BOX)
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        from PIL import ImageOps

        image = ImageOps.exif_transpose(image)  # after reducing: no full-size copy turned around
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16/32-bit grey: keep the full range
        grey = np.asarray(image, dtype=np.float32)
        if image.mode == "F":
            low, high = float(grey.min()), float(grey.max())
            return (grey - low) / (high - low) if high > low else np.zeros_like(grey)
        return np.clip(grey / (65535.0 if sixteen_bit or grey.max() > 255 else 255.0), 0.0, 1.0)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _dithered(image) -> bool:
    """Whether the picture has two levels scattered as dots (Pillow's ``convert("1")``, a 1-bit scan of grey
    paper), judged on at most WORKING_SIZE×WORKING_SIZE pixels from its centre."""
    if image.mode != "1" and not (image.mode in ("L", "P") and image.getcolors(2) is not None):
        return False
    width, height = image.size
    left, top = max(0, (width - WORKING_SIZE) // 2), max(0, (height - WORKING_SIZE) // 2)
    dots = (
        np.asarray(
            image.crop((left, top, left + min(width, WORKING_SIZE), top + min(height, WORKING_SIZE))).convert("L")
        )
        > 127
    )
    if min(dots.shape) < 3:
        return False
    inner = dots[1:-1, 1:-1]
    neighbours = (dots[:-2, 1:-1], dots[2:, 1:-1], dots[1:-1, :-2], dots[1:-1, 2:])
    return bool(np.logical_and.reduce([inner != n for n in neighbours]).mean() > DITHER_DOTS)


def to_mnist(grey: np.ndarray, source: str = "image") -> np.ndarray:
    """Grey levels in [0, 1] (any polarity, any size) → uint8 (28, 28), light digit centred on dark."""
    digit = _crop(_ink(grey, source))
    if max(digit.shape) < MIN_DIGIT_PIXELS:
        raise ImageError(
            N_("{path}: no digit found (only a speck of {width}×{height} pixels)"),
            path=source,
            width=digit.shape[1],
            height=digit.shape[0],
        )
    field = _centre(_fit(digit, BOX), FIELD)
    return np.clip(np.rint(field * 255.0), 0, 255).astype(np.uint8)


def _ink(grey: np.ndarray, source: str) -> np.ndarray:
    """How much ink each pixel holds, in [0, 1], the digit light on dark.

    The background level comes from the border; the ink lies on the side where the picture strays furthest from
    it (measured on its few most extreme pixels: a small digit on a large canvas covers far less than 1% of it).
    Ink is measured against the paper's local brightness, so that light falling off across a photographed sheet,
    or a shadow, does not read as ink.
    """
    edges = (grey[0], grey[-1], grey[:, 0], grey[:, -1])
    steps = np.concatenate([np.diff(edge) for edge in edges])  # blind to light that varies smoothly
    noise = 1.4826 * float(np.quantile(np.abs(steps), 0.5)) / np.sqrt(2) if steps.size else 0.0
    dark_ink = ink_is_dark(grey)
    ink = _paper(grey, dark_ink) - grey if dark_ink else grey - _paper(grey, dark_ink)
    np.clip(ink, 0.0, None, out=ink)
    top = float(np.quantile(ink, 0.995)) if ink.size > 400 else float(ink.max())
    top = max(top, float(ink.max()) * 0.5)  # a thin digit on a large sheet covers under 0.5% of it
    if top < max(MIN_INK_CONTRAST, NOISE_MARGIN * noise):
        raise ImageError(N_("{path}: no digit found (no ink stands out from the background)"), path=source)
    ink = np.clip((np.clip(ink / top, 0.0, 1.0) - NOISE_FLOOR) / (1.0 - NOISE_FLOOR), 0.0, 1.0)
    if np.count_nonzero(ink > 0.5) > MAX_INK_COVER * ink.size:
        raise ImageError(
            N_("{path}: no digit found (the whole picture reads as ink: a gradient or a texture?)"), path=source
        )
    return ink


def ink_is_dark(grey: np.ndarray) -> bool:
    """Whether the digit is darker than its background (ink on paper) rather than lighter (chalk, MNIST): the side
    where the picture's few most extreme pixels stray furthest from the border's level."""
    edges = (grey[0], grey[-1], grey[:, 0], grey[:, -1])
    background = float(np.quantile(np.concatenate(edges), 0.5))
    k = min(EXTREME_PIXELS, grey.size) - 1
    flat = np.partition(grey.ravel(), (k, grey.size - 1 - k))
    return bool(background - flat[k] >= flat[grey.size - 1 - k] - background)


def _paper(grey: np.ndarray, dark_ink: bool) -> np.ndarray:
    """The paper's brightness under every pixel: a maximum (for dark ink) filter wider than a stroke, at low
    resolution, smoothed and scaled back up."""
    from PIL import Image, ImageFilter

    height, width = grey.shape
    scale = min(1.0, 64 / max(height, width))
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = Image.fromarray(grey, mode="F").resize(small_size, Image.Resampling.BOX)
    window = max(3, round(max(small_size) * BACKGROUND_WINDOW) | 1)
    paper = small.filter(ImageFilter.MaxFilter(window) if dark_ink else ImageFilter.MinFilter(window))
    coarse = paper.resize((max(1, small_size[0] // 4), max(1, small_size[1] // 4)), Image.Resampling.BOX)
    return np.asarray(coarse.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def _crop(ink: np.ndarray, trim: float = 0.005) -> np.ndarray:
    """The digit's bounding box; stray specks holding under ``trim`` of the ink on either side are left out."""
    total = float(ink.sum())

    def span(profile: np.ndarray) -> slice:
        cumulative = np.cumsum(profile) / total
        first = int(np.searchsorted(cumulative, trim, side="right"))
        last = int(np.searchsorted(cumulative, 1.0 - trim, side="left"))
        return slice(first, max(first, min(last, len(profile) - 1)) + 1)

    return ink[span(ink.sum(axis=1)), span(ink.sum(axis=0))]


def _fit(digit: np.ndarray, box: int) -> np.ndarray:
    """Resize so the longer side is ``box`` pixels, keeping the aspect ratio, with antialiasing."""
    from PIL import Image

    height, width = digit.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _centre(box: np.ndarray, field: int) -> np.ndarray:
    """Place ``box`` in a ``field``×``field`` square with its centre of mass where MNIST's is."""
    height, width = box.shape
    total = float(box.sum())
    cy = float(box.sum(axis=1) @ np.arange(height)) / total if total else (height - 1) / 2
    cx = float(box.sum(axis=0) @ np.arange(width)) / total if total else (width - 1) / 2
    top = min(max(round(MNIST_CENTRE - cy), 0), field - height)  # never push the digit out of the field
    left = min(max(round(MNIST_CENTRE - cx), 0), field - width)
    out = np.zeros((field, field), dtype=np.float32)
    out[top : top + height, left : left + width] = box
    return out


def _preview(grey: np.ndarray, size: int = FIELD) -> np.ndarray:
    """The picture as the user sees it, reduced to at most ``size`` pixels on its longer side."""
    from PIL import Image

    image = Image.fromarray(np.rint(grey * 255).astype(np.uint8))
    image.thumbnail((size, size), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.uint8)
