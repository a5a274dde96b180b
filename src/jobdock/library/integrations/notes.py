"""The Markdown files jobdock writes into a vault, and reading a note back.

A document becomes ``{folder}/{name}/{name}.md``: YAML front matter (id, title, source,
tags, created) and the document's text as the body. Beside it, ``{name} - Highlights.md``
lists its annotations and ``{name} - Connections.md`` links the documents it connects
to with ``[[wikilinks]]``. Only the body is compared on sync, by :func:`content_hash`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from jobdock.library.integrations.vault import safe_file_name

FENCE = "---"


def normalise_body(text: str) -> str:
    """What counts as the text: line endings unified, trailing blanks ignored (editors
    strip them), leading/trailing empty lines ignored."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def content_hash(text: str) -> str:
    """SHA-256[:16] of the normalised text (the original's sync-state hash length)."""
    return hashlib.sha256(normalise_body(text).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class NotePaths:
    name: str
    note: str
    highlights: str
    connections: str


def note_paths(title: str, folder: str = "", suffix: str = "") -> NotePaths:
    """Vault-relative paths for a document's files; ``suffix`` disambiguates same titles."""
    name = safe_file_name(title) + suffix
    base = "/".join(p for p in (folder.strip("/"), name) if p)
    return NotePaths(name, f"{base}/{name}.md", f"{base}/{name} - Highlights.md",
                     f"{base}/{name} - Connections.md")


def render_note(front: Mapping[str, Any], body: str) -> str:
    header = yaml.safe_dump(dict(front), sort_keys=False, allow_unicode=True,
                            default_flow_style=False).strip()
    return f"{FENCE}\n{header}\n{FENCE}\n\n{normalise_body(body)}\n"


@dataclass(frozen=True)
class ParsedNote:
    front: dict[str, Any]
    body: str
    front_ok: bool = True


def parse_note(text: str) -> ParsedNote:
    """Split front matter from body; a broken front matter keeps the body intact."""
    text = text.replace("\r\n", "\n")
    if not text.startswith(FENCE + "\n"):
        return ParsedNote({}, text)
    end = text.find(f"\n{FENCE}\n", len(FENCE))
    if end < 0:
        if text.endswith(f"\n{FENCE}"):
            end = len(text) - len(FENCE) - 1
        else:
            return ParsedNote({}, text, front_ok=False)
    try:
        front = yaml.safe_load(text[len(FENCE) + 1:end]) or {}
    except yaml.YAMLError:
        front = None
    body = text[end + len(FENCE) + 2:]
    if not isinstance(front, dict):
        return ParsedNote({}, body, front_ok=False)
    return ParsedNote(front, body)


def render_highlights(doc_name: str, document_id: str,
                      annotations: Iterable[Mapping[str, Any]]) -> str:
    lines = [FENCE, f"document: {document_id}", "type: highlights", FENCE, "",
             f"# Highlights of [[{doc_name}]]", ""]
    for ann in annotations:
        quote = " ".join(str(ann.get("quote") or "").split())
        lines.append(f"> {quote}")
        if ann.get("note"):
            lines.append(">")
            lines.append(f"> **Note:** {' '.join(str(ann['note']).split())}")
        tags = " ".join(f"#{safe_tag(t)}" for t in ann.get("tags") or () if safe_tag(t))
        meta = ", ".join(x for x in (str(ann.get("color") or ""), str(ann.get("source") or ""),
                                     tags) if x)
        lines += [f"> — {meta}" if meta else ">", f"^ann-{str(ann.get('id', ''))[:12]}", ""]
    return "\n".join(lines).rstrip() + "\n"


def safe_tag(tag: Any) -> str:
    return "-".join(str(tag).replace("#", " ").split())


def render_connections(doc_name: str, connections: Iterable[Mapping[str, Any]]) -> str:
    """``connections``: dicts with ``name`` (the other note's name), ``type``, ``strength``."""
    lines = [f"# Connections of [[{doc_name}]]", ""]
    for conn in connections:
        kind = str(conn.get("type") or "related").replace("_", " ")
        strength = conn.get("strength")
        detail = f"{kind}, strength {float(strength):.2f}" if strength is not None else kind
        lines.append(f"- [[{conn['name']}]] — {detail}")
    return "\n".join(lines).rstrip() + "\n"
