"""The translation catalogs: what is to translate (our messages and the installed Click's), and the ``.po``/``.mo``
files in ``mnist_infer/locales``. Babel is a developer's tool (the ``test`` extra); the package reads the ``.mo``
files with the standard library's gettext.

``python tests/catalogs.py`` brings every catalog up to date with the code: new messages are added untranslated,
changed ones are marked fuzzy (with the old translation as a start), gone ones are dropped; then each ``.po`` is
compiled to its ``.mo`` and what still needs a translator is listed. ``python tests/catalogs.py ja`` starts a new
language. See docs/translating.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mnist_infer"
LOCALES = PACKAGE / "locales"
DOMAIN = "mnist-infer"
MAPPING = ROOT / "babel.cfg"
#: The functions that mark a message: ours (``_``, ``N_`` for error templates, ``ngettext``) and Click's (``_``,
#: ``ngettext``).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
WIDTH = 120
#: A placeholder of str.format: ``{name}``, ``{count:,}``, ``{value!r}``.
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def click_dir() -> Path:
    import click

    return Path(click.__file__).parent


def sources() -> dict[str, Path]:
    """Where messages are extracted from: a location prefix, and its directory."""
    return {"mnist_infer": PACKAGE, "click": click_dir()}


def extract() -> Catalog:
    """Every message the tool may show: ours, and the installed Click's."""
    with MAPPING.open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, str(MAPPING))
    import click

    template = Catalog(project="mnist-infer", domain=DOMAIN, fuzzy=False)
    template.header_comment = f"# Messages of mnist-infer and of Click {_click_version(click)}."
    for prefix, directory in sources().items():
        found = extract_from_dir(directory, method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",))
        for filename, lineno, message, comments, context in found:
            template.add(message, None, [(f"{prefix}/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def _click_version(click) -> str:
    from importlib.metadata import version

    return version("click")


def languages() -> list[str]:
    """The languages that have a catalog, besides English."""
    return sorted(path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def write(catalog: Catalog, language: str) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, ignore_obsolete=True, include_lineno=False)
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def compiled(catalog: Catalog) -> bytes:
    """The ``.mo`` of ``catalog``: its translated messages (fuzzy ones are left out, as msgfmt does)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def untranslated(catalog: Catalog) -> list[Message]:
    """The messages a translator still has to do: empty or fuzzy."""
    return [m for m in catalog if m.id and (m.fuzzy or not all(_strings(m.string)))]


def _strings(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def update(language: str) -> Catalog:
    """The catalog of ``language`` made to hold exactly the messages of the code (a new one if there is none)."""
    template = extract()
    if po_path(language).exists():
        catalog = read(language)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, project="mnist-infer", fuzzy=False)
    catalog.update(template, update_creation_date=False)
    from mnist_infer import __version__

    catalog.project, catalog.version, catalog.msgid_bugs_address = "mnist-infer", __version__, ""
    catalog.last_translator = catalog.language_team = f"mnist-infer's {catalog.locale.english_name} translators"
    if not isinstance(catalog.revision_date, datetime):  # a new catalog: Babel's placeholder
        catalog.revision_date = catalog.creation_date
    catalog.header_comment = template.header_comment.replace("Messages", f"{catalog.locale.english_name} messages")
    catalog.fuzzy = False  # the header: the catalog is in use
    catalog.obsolete.clear()
    return catalog


#: What chooses the language of a process: ours, then gettext's (in the order it reads them).
LOCALE_VARIABLES = ("MNIST_INFER_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_COMMANDS = "mnist_infer.cli."


@contextlib.contextmanager
def speaking(args: Sequence[str] = (), env: Mapping[str, str] | None = None) -> Iterator:
    """The command line as ``mnist-infer`` builds it in a new process whose arguments are ``args`` (``--lang`` is
    read from them) and whose locale variables are those of ``env`` (the others unset): its help, Click's words and
    ours in that language. In a test process, where Click's runner calls the group directly, this is what
    :func:`mnist_infer.cli.main` does; afterwards the environment, gettext's domain and the command modules (their
    help is made when they are imported) are put back as they were."""
    import gettext

    from mnist_infer import cli as package
    from mnist_infer.i18n import use_language

    def commands() -> list[str]:  # the modules whose help is made at import (options.py makes it when called)
        return [name for name in sys.modules if name.startswith(_COMMANDS) and name != _COMMANDS + "options"]

    from mnist_infer import i18n

    environ, domain, directories = dict(os.environ), gettext.textdomain(), dict(gettext._localedirs)
    catalog = i18n._catalog
    modules = {name: sys.modules.pop(name) for name in commands()}
    try:
        for name in LOCALE_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(env or {})
        use_language(package._language(list(args)))
        yield package._group()
    finally:
        os.environ.clear()
        os.environ.update(environ)
        gettext.textdomain(domain)
        i18n._catalog = catalog
        gettext._localedirs.clear()
        gettext._localedirs.update(directories)
        for name in commands():
            del sys.modules[name]
            with contextlib.suppress(AttributeError):
                delattr(package, name.removeprefix(_COMMANDS))
        sys.modules.update(modules)
        for name, module in modules.items():
            setattr(package, name.removeprefix(_COMMANDS), module)


def main(args: list[str]) -> int:
    for language in args or languages():
        catalog = update(language)
        write(catalog, language)
        mo_path(language).write_bytes(compiled(read(language)))
        todo = untranslated(catalog)
        print(f"{po_path(language).relative_to(ROOT)}: {len(catalog)} messages, {len(todo)} to translate")
        for message in todo:
            print(f"  {'fuzzy' if message.fuzzy else 'new  '}  {message.id!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
