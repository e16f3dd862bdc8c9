"""Hand-drawn-like strokes for the digits 0–9, for the browser test of ``mnist-infer serve`` and
benchmarks/serve_latency.py.

Each digit is a list of strokes, each stroke a list of (x, y) points as fractions of the pad's side, drawn the
way a person writes the digit (pen down at the first point, up at the last). ``render`` draws them with Pillow
the way the page's canvas does (black round-capped ink on white), for scripts without a browser.
"""

from __future__ import annotations

import io
import itertools
import math

Point = tuple[float, float]
Stroke = list[Point]

#: The page's ink width as a fraction of the pad's side (INK_WIDTH in static/app.js).
INK_WIDTH = 0.1


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 24) -> Stroke:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees; 0 = right, 90 = down, as on a screen)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (start + (end - start) * i / steps for i in range(steps + 1))
    ]


def _line(*corners: Point, step: float = 0.03) -> Stroke:
    """A polyline through ``corners``, with points every ``step`` so it moves like a hand."""
    points = [corners[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        count = max(1, math.ceil(math.dist((x0, y0), (x1, y1)) / step))
        points += [(x0 + (x1 - x0) * i / count, y0 + (y1 - y0) * i / count) for i in range(1, count + 1)]
    return points


DIGITS: dict[int, list[Stroke]] = {
    0: [_arc(0.5, 0.5, 0.2, 0.32, -95, 270, 36)],
    1: [_line((0.53, 0.16), (0.47, 0.84))],
    2: [_arc(0.5, 0.33, 0.18, 0.16, 190, 380, 20) + _line((0.66, 0.4), (0.3, 0.82), (0.72, 0.82))[1:]],
    3: [_arc(0.48, 0.32, 0.18, 0.15, 210, 450, 20) + _arc(0.48, 0.65, 0.2, 0.18, -90, 150, 20)],
    4: [_line((0.58, 0.15), (0.28, 0.6), (0.74, 0.6)), _line((0.6, 0.36), (0.6, 0.86))],
    5: [
        _line((0.7, 0.17), (0.36, 0.17), (0.33, 0.47)) + _arc(0.49, 0.62, 0.2, 0.19, -120, 150, 20)[1:],
    ],
    6: [_arc(0.62, 0.46, 0.28, 0.33, -70, -180, 14) + _arc(0.5, 0.65, 0.17, 0.17, 180, 540, 26)],
    7: [_line((0.28, 0.18), (0.72, 0.18), (0.42, 0.86))],
    8: [
        [
            (0.5 + 0.17 * math.sin(2 * t) * (1 if t < math.pi else 1.15), 0.5 - 0.33 * math.sin(t))
            for t in (2 * math.pi * i / 48 for i in range(49))
        ]
    ],
    9: [_arc(0.5, 0.34, 0.18, 0.17, 0, -360, 28) + _line((0.68, 0.34), (0.62, 0.86))[1:]],
}

#: A T: no digit at all, and the book's networks are not sure what it is (chapter 3's: 66% a 7, below the 90% of
#: "not sure").
TEE: list[Stroke] = [_line((0.25, 0.25), (0.75, 0.25)), _line((0.5, 0.25), (0.5, 0.8))]


def render(strokes: list[Stroke], size: int = 280) -> bytes:
    """The strokes drawn as the page draws them, as PNG bytes."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    width = round(INK_WIDTH * size)
    for stroke in strokes:
        points = [(x * size, y * size) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=0, width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
