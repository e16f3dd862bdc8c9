"""The user's language: gettext catalogs in ``locales/`` (Korean first), for the command line, its views and the page.

The command line makes this package's domain the process's gettext domain (:func:`use_language`), so that Click's
own strings ("Usage:", "Options:", its errors) come from the same catalog as ours. The language is ``--lang``, else
``$MNIST_INFER_LANG``, else the locale's (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``). The page asks for a
catalog by the browser's language (:func:`translator`). JSON keys and exit codes never change with the language.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

DOMAIN = "mnist-infer"
LOCALES = Path(__file__).parent / "locales"
LANGUAGE_ENV = "MNIST_INFER_LANG"
#: English (the messages themselves) and the languages a catalog exists for: a language is one catalog away.
LANGUAGES = ("en", *sorted(path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")))


#: The catalog :func:`_` reads: found once by :func:`use_language` (gettext's module-level functions look for it
#: again on every call, a few milliseconds for the messages of one ``--help``).
_catalog: gettext.NullTranslations = gettext.NullTranslations()


def _(message: str) -> str:
    """``message`` in the language of the process (English until :func:`use_language` is called)."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalog.ngettext(singular, plural, count)


def use_language(language: str | None = None) -> None:
    """Make this package's catalogs the process's, in ``language`` (or ``$MNIST_INFER_LANG``, else the locale's)."""
    global _catalog
    language = language or os.environ.get(LANGUAGE_ENV)
    if language:
        os.environ["LANGUAGE"] = language  # what gettext asks first
    gettext.bindtextdomain(DOMAIN, str(LOCALES))
    gettext.textdomain(DOMAIN)  # for Click's own messages
    _catalog = gettext.translation(DOMAIN, str(LOCALES), fallback=True)


def translator(language: str) -> Callable[[str], str]:
    """``_`` for one language (the page's, from the browser), whatever the process's is."""
    return gettext.translation(DOMAIN, str(LOCALES), languages=[language], fallback=True).gettext


def language() -> str:
    """The language the process speaks now: a code of :data:`LANGUAGES`."""
    found = gettext.find(DOMAIN, str(LOCALES))
    return Path(found).parent.parent.name.split("_")[0] if found else "en"


#: Korean particles written for either kind of word ("{what}을(를)"), where a field's value comes before them.
_PARTICLES = re.compile(r"([가-힣])(을\(를\)|이\(가\)|은\(는\)|와\(과\)|\(으\)로)")


def particles(text: str) -> str:
    """Each Korean two-way particle after a Hangul syllable made the one that syllable takes: 을 after a final
    consonant, 를 after a vowel ("가중치를", "파일을"); after a digit or a Latin letter it stays two-way."""

    def one(match: re.Match) -> str:
        syllable, particle = match.groups()
        final = (ord(syllable) - 0xAC00) % 28  # 0: no final consonant; 8: ㄹ, which takes 로
        if particle == "(으)로":
            return syllable + ("으로" if final not in (0, 8) else "로")
        with_final, without = ("과", "와") if particle == "와(과)" else (particle[0], particle[2])
        return syllable + (with_final if final else without)

    return _PARTICLES.sub(one, text)


#: What stands for the characters the views use where the output cannot show them (an ASCII or Latin-1 terminal).
ASCII = str.maketrans({"×": "x", "–": "-", "—": "-", "·": "*", "…": "...", "→": "->", "✓": "right", "✗": "wrong",
                       "λ": "lambda", "²": "2", "█": "#", "⊛": "(*)", "μ": "mu", "σ": "sd",
                       **dict.fromkeys("▏▎▍▌▋▊▉", ""), **dict(zip("▁▂▃▄▅▆▇", "_.-:=+*", strict=True))})  # fmt: skip


def unicode_ok(stream: TextIO) -> bool:
    """Whether ``stream`` takes Unicode (as Rich decides for a console on it); where it does not, text is written
    through :data:`ASCII`."""
    return (getattr(stream, "encoding", None) or "utf-8").replace("_", "-").lower().startswith("utf")
