"""The page's files: a fixed list read once from the installed package (no directory listing, no other path), and
the headers every answer carries."""

from __future__ import annotations

from ..errors import N_, MnistInferError

#: URL path → (file in the package's static folder, content type). Nothing else is served.
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def load_static() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once from the installed package."""
    from importlib import resources

    folder = resources.files("mnist_infer.serve").joinpath("static")
    files = {}
    for route, (name, content_type) in STATIC_FILES.items():
        try:
            files[route] = (folder.joinpath(name).read_bytes(), content_type)
        except OSError as exc:
            raise MnistInferError(
                N_("the page's file {name} is missing from the installed package ({reason}); reinstall mnist-infer"),
                name=name,
                reason=exc,
            ) from None
    return files
