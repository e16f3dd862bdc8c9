"""A user's picture file, read safely into grey levels: the format from its first bytes (six of them, each
with only its own Pillow plugin loaded), the size its header states checked before any pixel is decoded, and
every decoder's failure one :class:`~mnist_infer.errors.ImageError`."""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import ImageError
from .files import NotRegularFile, open_regular, stderr_silenced

#: Image files ``predict --image DIR`` picks up (by extension).
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
#: A 40-megapixel photo decodes; a file that claims more is treated as a decompression bomb.
MAX_PIXELS = 40_000_000
#: Image files larger than this are not read (a 40-megapixel 16-bit RGBA TIFF, uncompressed, is 320 MB).
MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024
#: The formats Pillow may open (by content, whatever the file's name): photos, scans and drawings. Not ICO,
#: ICNS, DDS, AVIF, EPS, PSD or Pillow's other formats: containers whose header may misstate the frame
#: decoded, and decoders that run other programs.
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")
#: How each of them begins, and Pillow's plugin for it: only the one a picture needs is imported (each costs
#: milliseconds), and a file that begins like none of them is refused without asking Pillow.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG", "Png"),
    (b"\xff\xd8\xff", "JPEG", "Jpeg"),
    (b"BM", "BMP", "Bmp"),
    (b"GIF87a", "GIF", "Gif"),
    (b"GIF89a", "GIF", "Gif"),
    (b"II*\x00", "TIFF", "Tiff"),
    (b"MM\x00*", "TIFF", "Tiff"),
    (b"II+\x00", "TIFF", "Tiff"),  # BigTIFF
    (b"MM\x00+", "TIFF", "Tiff"),
)
#: Pictures are reduced to at most this many pixels on their longer side before any other work.
WORKING_SIZE = 512
#: The EXIF tag that says how a camera held the picture (1: upright).
EXIF_ORIENTATION = 0x0112
#: A two-level picture (1-bit, or two colours) is dithered, not drawn, when more than this fraction of its
#: pixels differ from all four neighbours: scattered dots (a drawing's strokes hold almost none). It is then
#: averaged over squares of 2·DITHER_RADIUS + 1 pixels, back to the greys the dots stand for.
DITHER_DOTS = 0.01
DITHER_RADIUS = 2


def image_files(path: str | os.PathLike[str]) -> list[Path]:
    """``path`` itself, or the image files in the directory ``path`` sorted by name."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("."))
    if not found:
        raise ImageError(f"{path}: no image files here ({', '.join(sorted(IMAGE_EXTENSIONS))})")
    return found


def read_grey(path: Path) -> np.ndarray:
    """The picture as float32 grey levels in [0, 1] (transparency composited onto white), at most
    ``WORKING_SIZE`` pixels on its longer side.

    Only a regular file of at most :data:`MAX_IMAGE_FILE_BYTES` is read (links followed; a FIFO or a device is
    refused without blocking).
    """
    try:
        stream, info = open_regular(path)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such image file") from None
    except NotRegularFile as exc:
        raise ImageError(f"{path}: {exc.strerror}; expected an image file") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot read the image ({exc.strerror or exc})") from None
    with stream:
        if info.st_size > MAX_IMAGE_FILE_BYTES:
            raise ImageError(
                f"{path}: {info.st_size:,} bytes, more than the {MAX_IMAGE_FILE_BYTES:,} an image file may have here"
            )
        return decode_grey(stream, str(path))


def decode_grey(stream: BinaryIO, source: str) -> np.ndarray:
    """:func:`read_grey` of an open binary stream; ``source`` names it in messages.

    Only :data:`IMAGE_FORMATS` are opened, and the size the header states is checked against
    :data:`MAX_PIXELS` before any pixel is decoded (for these formats, that is the size of what is decoded:
    containers such as ICO, whose directory may state 256×256 over a 9000×9000 PNG, are not opened). Any
    failure of a decoder, whatever Pillow raises, is an :class:`ImageError`; Pillow's warnings are silenced.
    """
    import importlib

    from PIL import Image, UnidentifiedImageError

    head = stream.read(12)
    stream.seek(0)
    if not head:
        raise ImageError(f"{source}: the file is empty; expected an image (PNG, JPEG, BMP, GIF, WebP or TIFF)")
    known = [(name, plugin) for magic, name, plugin in SIGNATURES if head.startswith(magic)]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        known = [("WEBP", "WebP")]
    if not known:
        raise ImageError(f"{source}: not an image this tool reads; expected PNG, JPEG, BMP, GIF, WebP or TIFF")
    kind, plugin = known[0]
    try:
        with warnings.catch_warnings(), stderr_silenced():
            warnings.simplefilter("ignore")  # EXIF and palette notes must not precede the one line of output
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # This format's own plugin opens it, as Image.open would once it had found the format: not Image.open
            # itself, which first imports five plugins (10 ms), whatever the picture (see IMAGE_FORMATS).
            importlib.import_module(f"PIL.{plugin}ImagePlugin")  # registers its opener in Image.OPEN
            opener, _accepts = Image.OPEN[kind]
            try:
                image = opener(stream, "")
            except (SyntaxError, IndexError, TypeError, struct.error):  # what Image.open takes for "not this format"
                raise UnidentifiedImageError from None
            with image:
                width, height = image.size
                # A JPEG decodes at 1/2, 1/4 or 1/8 of its size when that is enough (draft): what is decoded is
                # then counted, so that a 48-megapixel phone photo is read and a bomb is still refused.
                image.draft("L" if image.mode != "RGBA" else image.mode, (WORKING_SIZE, WORKING_SIZE))
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    raise ImageError(
                        f"{source}: {width}×{height} pixels, more than the {MAX_PIXELS:,} this tool decodes "
                        "(a decompression bomb?); scale the picture down first"
                    )
                if _dithered(image):  # dots standing for grey, which would otherwise read as ink
                    from PIL import ImageFilter

                    image = image.convert("L").filter(ImageFilter.BoxBlur(DITHER_RADIUS))
                sixteen_bit = image.mode.startswith("I;16")
                if sixteen_bit and max(image.size) > WORKING_SIZE:
                    # Pillow reduces big-endian 16-bit pixels into noise (and before 11, refuses the others):
                    # as 32-bit integers, every version reduces them right.
                    image = image.convert("I")
                image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BOX)
                if image.getexif().get(EXIF_ORIENTATION, 1) != 1:  # most pictures are upright: no ImageOps
                    from PIL import ImageOps

                    image = ImageOps.exif_transpose(image)  # after reducing: no full-size copy turned around
                return _to_grey(image, sixteen_bit)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{source}: refused as a decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        formats = "PNG, JPEG, BMP, GIF, WebP or TIFF"
        raise ImageError(f"{source}: not an image this tool reads; expected {formats}") from None
    except MemoryError:
        raise ImageError(f"{source}: not enough memory to decode the image") from None
    except Exception as exc:  # a decoder's failure: Pillow's plugins raise anything from OSError to IndexError
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ImageError(f"{source}: cannot decode the image ({reason}); is it truncated or damaged?") from None


def _dithered(image) -> bool:
    """Whether the picture has two levels scattered as dots (Pillow's ``convert("1")``, a 1-bit scan of grey
    paper), judged on at most WORKING_SIZE×WORKING_SIZE pixels from its centre."""
    if image.mode != "1" and not (image.mode in ("L", "P") and image.getcolors(2) is not None):
        return False
    width, height = image.size
    left, top = max(0, (width - WORKING_SIZE) // 2), max(0, (height - WORKING_SIZE) // 2)
    centre = (left, top, min(width, left + WORKING_SIZE), min(height, top + WORKING_SIZE))
    dots = np.asarray(image.crop(centre).convert("L")) > 127
    if min(dots.shape) < 3:
        return False
    inner = dots[1:-1, 1:-1]
    neighbours = (dots[:-2, 1:-1], dots[2:, 1:-1], dots[1:-1, :-2], dots[1:-1, 2:])
    alone = np.logical_and.reduce([inner != neighbour for neighbour in neighbours])
    return bool(alone.mean() > DITHER_DOTS)


def _to_grey(image, sixteen_bit: bool = False) -> np.ndarray:
    from PIL import Image

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16/32-bit grey: keep the full range
        grey = np.asarray(image, dtype=np.float32)
        top = 65535.0 if sixteen_bit or grey.max() > 255 else 255.0
        return np.clip(grey / top, 0.0, 1.0) if image.mode != "F" else _unit(grey)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _unit(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)
