"""The text catalogue: every user-visible string, in every language the bot speaks.

Each module of this package holds one feature's texts as ``TEXTS = {key: {"en": ..., "fr": ...}}``;
they are merged at import, so a new feature adds a module (``bot/texts/admin.py``) and nothing
else. A key defined twice is an error at import. Templates are Telegram HTML (the bot sends
with ``parse_mode=HTML``) with ``{name}`` placeholders; ``t`` escapes every value unless it is
wrapped in ``Html`` (markup rendered and escaped already), so user-supplied text can never
break a message's formatting.
"""

from __future__ import annotations

import html
import importlib
import pkgutil

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


class Html(str):
    """Markup that is already safe to put in a message: ``t`` inserts it unescaped."""

    __slots__ = ()


def _load() -> dict[str, dict[str, str]]:
    catalogue: dict[str, dict[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda found: found.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, entry in getattr(module, "TEXTS", {}).items():
            if key in catalogue:
                raise RuntimeError(f"text {key!r} is defined twice (again in {module.__name__})")
            catalogue[key] = entry
    return catalogue


CATALOGUE: dict[str, dict[str, str]] = _load()


def language_of(code: str | None) -> str:
    """The catalogue language for a Telegram ``language_code`` ("fr-CA") or a /language choice."""
    if code:
        base = code.replace("_", "-").split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


# Who people are told to contact (the SUPPORT_CONTACT setting, set when the bot is built);
# empty: the catalogue's "support.default" in the reader's language.
support_contact = ""


def t(lang: str, key: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when missing), filled with escaped ``values``;
    ``{support}`` is the support contact unless given."""
    entry = CATALOGUE[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    if "{support}" in template and "support" not in values:
        values["support"] = support_contact or Html(t(lang, "support.default"))
    return template.format(**{name: _safe(value) for name, value in values.items()})


def _safe(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=True)
