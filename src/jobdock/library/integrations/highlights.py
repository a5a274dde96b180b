"""One highlight as Readwise exports it, whatever the export's format."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

# Readwise's colours; the library keeps these names (purple shows as blue, as the original).
COLORS = ("yellow", "blue", "red", "green", "orange")


def normalise_color(value: Any) -> str:
    name = str(value or "").strip().lower()
    if name == "purple":
        return "blue"
    return name if name in COLORS else "yellow"


@dataclass(frozen=True)
class Highlight:
    """A highlight: its text, where it was made and in which book."""

    text: str
    external_id: str
    note: str = ""
    color: str = "yellow"
    tags: tuple[str, ...] = field(default_factory=tuple)
    location: int | None = None
    location_type: str = ""
    highlighted_at: str | None = None
    updated_at: str | None = None
    book_title: str = ""
    book_author: str = ""
    book_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Highlight:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["tags"] = tuple(known.get("tags") or ())
        return cls(**known)


def content_id(book_title: str, text: str, location: Any) -> str:
    """A stable id for a highlight that has none (CSV rows): same row → same id."""
    raw = f"{book_title.strip().lower()}\x1f{' '.join(text.split())}\x1f{location or ''}"
    return "sha1:" + hashlib.sha1(raw.encode()).hexdigest()[:20]


def parse_location(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


def _tag_names(tags: Any) -> tuple[str, ...]:
    names = []
    for tag in tags or ():
        name = tag.get("name") if isinstance(tag, dict) else tag
        if name and str(name).strip():
            names.append(str(name).strip())
    return tuple(names)


def from_api(item: dict[str, Any], book: dict[str, Any] | None = None) -> Highlight:
    """A highlight from the export API (or a JSON export) with its book, if any."""
    book = book or {}
    text = str(item.get("text") or "")
    title = str(item.get("title") or book.get("readable_title") or book.get("title") or "")
    raw_id = item.get("id")
    book_id = item.get("book_id") or book.get("user_book_id")
    return Highlight(
        text=text,
        external_id=str(raw_id) if raw_id not in (None, "") else content_id(
            title, text, item.get("location")),
        note=str(item.get("note") or ""),
        color=normalise_color(item.get("color")),
        tags=_tag_names(item.get("tags")),
        location=parse_location(item.get("location")),
        location_type=str(item.get("location_type") or ""),
        highlighted_at=item.get("highlighted_at") or item.get("created_at"),
        updated_at=item.get("updated_at"),
        book_title=title,
        book_author=str(item.get("author") or book.get("author") or ""),
        book_id=str(book_id) if book_id not in (None, "") else None,
    )
