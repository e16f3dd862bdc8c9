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
#: Every text of the page (static/index.html's data-t elements and app.js's t("…") calls), in English, for the
#: translators; GET /api/messages sends them in one language.
# fmt: off
PAGE_MESSAGES = [
    N_("mnist-infer: draw a digit"), N_("Draw a digit"), N_("Language"),
    N_("The networks of the book Deep Learning from Scratch read it as you draw: the same preprocessing and the same "
       "forward pass as mnist-infer predict --image."),
    N_("Your digit"), N_("Drawing pad: draw a digit with the mouse, a pen or a finger. Backspace or Delete clears it."),
    N_("Drop a photo here"), N_("Undo the last stroke"), N_("Undo"), N_("Clear the pad (Backspace or Delete)"),
    N_("Clear"), N_("Upload a photo…"), N_("MNIST test digit"), N_("Show"), N_("Random"), N_("The networks' answers"),
    N_("Networks: pick one to see it in detail"), N_("Probability of each digit (softmax output y)"),
    N_("A network always answers with one of the ten digits, even for a dash or a scribble: the percentage is its "
       "softmax output, not how sure it should be."),
    N_("Inside the network"), N_("What the network sees: the 28×28 input after preprocessing"),
    N_("What the network sees"), N_("x: 28×28 = 784 inputs, light digit on dark, fitted into 20×20 and centred"),
    N_("Each layer's colours are scaled to its own range, written under it: its lowest value is dark, its highest "
       "bright. Hover over a square or a map to read its values; click or tap it to see what it looks for."),
    N_("Runs on this computer only: nothing is sent anywhere else."), N_("Your drawing reads as"),
    N_("The server does not answer: is mnist-infer serve still running?"), N_("The server answered {status}."),
    N_("chapter {chapter}: {architecture}"), N_("softmax {percent}"), N_("true label"), N_("Draw a digit on the pad."),
    N_("No answer for this picture."), N_("the book's {name}"), N_("Weights: {name}, {what}."), N_("{size} neurons"),
    N_("10 outputs, digits 0–9"), N_("{count} feature maps of {height}×{width}"),
    N_("{name}, map {index}: values {low} to {high}"), N_("The first layer's filters"),
    N_("W1: {count} filters of {size}×{size}, drawn as ch07's visualize_filter.py draws them: each to its own range, "
       "dark is a large weight."),
    N_("{name} is {size} MB; the limit is 10 MB. Scale it down first."), N_("Your photo {name}"),
    N_("Your photo {name} reads as"), N_("Pick an index from 0 to {last}."),
    N_("MNIST test digit {index}, label {label}"),
    N_("Test digit {index}, label {label}: the network is right; it reads"),
    N_("Test digit {index}, label {label}: the network is wrong; it reads"), N_("{count} test digits, 0 to {last}."),
    N_("The MNIST test set is not in the data directory: mnist-infer download --split test fetches it."),
    N_("Not sure: perhaps {digit} ({percent}, below {threshold})"), N_("Show which pixels decided"),
    N_("Why {top} and not {other}: red pixels pushed the answer towards {top}, blue ones towards {other}."),
    N_("{name}, unit {index}"), N_("{name}, map {index}"), N_("Its weights as a picture"),
    N_("What it looks for: its weights as a picture, on its own scale: bright where ink raises its input sum, dark "
       "where ink lowers it."),
    N_("What it looks for: its filter, drawn as the filters above are: dark is a large weight."),
    N_("Its weights come from the layer before it, not from the pixels: only the first layer's make a picture."),
    N_("Input sum {name} = {value}"), N_("Value {name} = {value}"),
]
# fmt: on
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
