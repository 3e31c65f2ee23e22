"""Files a person hands to a front end (a request document, an answer, an edited letter), read
with one-line refusals: missing, unreadable, binary, too big, not a mapping. Nothing is recorded
until the file has been read and checked.

``option`` names the field or command-line option the file came in, so the refusal says which
(``--file``, ``--text-file``, ``file``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from services.errors import Rejected

# Bigger than any request, answer or letter the input limits allow (``services.schemas``), small
# enough that a wrong file (a video, a database dump) is refused before it is read into memory.
MAX_FILE_BYTES = 4_000_000


def _size_in_words(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def read_text_file(path: Path, option: str, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``; ``Rejected`` (on ``option``) saying why it cannot be used."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise Rejected(f"{path} is a directory, not a file", option)
        if size > limit:
            raise Rejected(
                f"{path} is {_size_in_words(size)}; a file here may be at most "
                f"{_size_in_words(limit)}",
                option,
            )
        return path.read_text("utf-8")
    except OSError as exc:
        raise Rejected(f"cannot read {path}: {exc.strerror or exc}", option) from None
    except UnicodeDecodeError:
        raise Rejected(f"{path} is not UTF-8 text (is it a binary file?)", option) from None


def read_mapping_file(path: Path, option: str) -> dict[str, Any]:
    """A YAML or JSON document holding a mapping of fields (``.json`` read as JSON)."""
    text = read_text_file(path, option)
    kind = path.suffix.lstrip(".") or "yaml"
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())
        raise Rejected(f"{path} is not valid {kind}: {detail}", option) from None
    if not isinstance(data, dict):
        raise Rejected(f"{path} must hold a mapping of fields (name: value)", option)
    return data
