"""The page itself: one HTML file, its stylesheet and script (``static/``), served from the
project (no CDN, nothing from telegram.org). The page's texts, in every language, are
embedded in it from the catalogue; the script picks the reader's."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from bot.render import plain
from bot.texts import CATALOGUE, LANGUAGES

STATIC = Path(__file__).parent / "static"
# The page runs only its own script and style, talks only to its own server, and may be
# framed (Telegram's web clients show Mini Apps in a frame).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def page_texts() -> dict[str, dict[str, str]]:
    """Every ``page.*`` text, per language, as plain text."""
    keys = [key for key in CATALOGUE if key.startswith("page.")]
    return {lang: {key: plain(CATALOGUE[key][lang]) for key in keys} for lang in LANGUAGES}


@cache
def html() -> str:
    texts = json.dumps(page_texts(), ensure_ascii=False).replace("<", "\\u003c")
    return (STATIC / "index.html").read_text(encoding="utf-8").replace("__TEXTS__", texts)
