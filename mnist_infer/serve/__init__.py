"""``mnist-infer serve``: a local page to draw a digit and watch the networks answer, layer by layer.

:mod:`.api` holds what the server answers as plain functions (image bytes → JSON-ready dict), :mod:`.server`
the HTTP server around them, :mod:`.hosts` the DNS-rebinding guard, :mod:`.page` the list of files served, and
``static/`` the page itself (plain HTML, CSS and JavaScript, no build step, nothing fetched from elsewhere).
"""

from __future__ import annotations

from .api import Model, Net, info, load_model, predict_image, test_digit
from .server import MAX_BODY_BYTES, PageServer

__all__ = ["MAX_BODY_BYTES", "Model", "Net", "PageServer", "info", "load_model", "predict_image", "test_digit"]
