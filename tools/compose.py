"""Writes foiflow's search attributes into docker-compose.yml, from the code: ``make compose``.

The compose file's one-shot ``temporal-setup`` job registers them on the cluster; YAML cannot
import Python, so the list is written into it here, generated from
``workflows.search_attributes.ALL_KEYS`` rather than copied by hand. ``--check`` (run by the tests
through :func:`compose_drift`) fails when the file and the code disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from workflows.search_attributes import cli_flags

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
VARIABLE = "SEARCH_ATTRIBUTES"
_LINE = re.compile(rf"^(?P<key>\s*{VARIABLE}:).*$", re.MULTILINE)


def search_attributes() -> str:
    """``Name=Type`` pairs, space-separated, as the setup job's shell loop reads them."""
    return " ".join(flag for flag in cli_flags() if flag != "--search-attribute")


def rendered(text: str) -> str:
    """``text`` with the setup job's ``SEARCH_ATTRIBUTES`` line set to the code's list."""
    if len(_LINE.findall(text)) != 1:
        raise ValueError(f"docker-compose.yml must have exactly one `{VARIABLE}:` line")
    return _LINE.sub(lambda m: f'{m["key"]} "{search_attributes()}"', text)


def compose_drift(path: Path = COMPOSE) -> bool:
    """True when the compose file's list differs from the code's."""
    text = path.read_text("utf-8")
    return rendered(text) != text


def main(argv: list[str]) -> int:
    if "--check" in argv:
        if compose_drift():
            print(f"{COMPOSE.name}: search attributes differ from the code; run `make compose`")
            return 1
        return 0
    text = COMPOSE.read_text("utf-8")
    new = rendered(text)
    if new != text:
        COMPOSE.write_text(new, "utf-8")
        print(f"{COMPOSE.name}: {VARIABLE} set to {search_attributes()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
