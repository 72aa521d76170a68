"""The bot's wording, kept as data in knowledge/texts.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

TEXTS_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "texts.toml"


@cache
def _texts() -> dict[str, str]:
    return tomllib.loads(TEXTS_FILE.read_text(encoding="utf-8"))


def text(name: str, **values: object) -> str:
    """The text called `name`, with `{placeholders}` filled in."""
    template = _texts()[name]
    return template.format(**values) if values else template
