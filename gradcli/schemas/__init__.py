"""The JSON Schemas (draft 2020-12) of ``--format json``: one file per command, ``<command>.schema.json``, and
``common.schema.json`` with the definitions they share, referred to as ``common.schema.json#/$defs/...``.

They are data, shipped with the package; nothing here validates (a validator such as ``jsonschema`` is the
caller's). Each file's ``$id`` is a name, not an address: give a validator every file, as ``load_all()`` does,
and the references resolve among them.

    >>> from gradcli import schemas
    >>> schemas.load("reverse")["title"]
    'gradcli reverse --format json'
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMON = "common"


def names() -> list[str]:
    """The commands that have a schema, and ``common``: the files of this folder."""
    return sorted(p.name.removesuffix(".schema.json") for p in HERE.glob("*.schema.json"))


def path(command: str) -> Path:
    """The schema file of a command's JSON output (``common`` for the shared definitions)."""
    p = HERE / f"{command}.schema.json"
    if not p.is_file():
        raise ValueError(f"no JSON schema for {command!r}; there are schemas for {', '.join(names())}")
    return p


def load(command: str) -> dict:
    """The schema of a command's JSON output, as a dict."""
    return json.loads(path(command).read_text(encoding="utf-8"))


def load_all() -> dict[str, dict]:
    """Every schema by its ``$id``, for a validator's registry of references."""
    return {s["$id"]: s for s in map(load, names())}
