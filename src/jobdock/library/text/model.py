"""The extraction result: pages of raw text, JSON-serialisable for stage checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of a paged format, or one chapter/section of a flowing one (1-based)."""

    number: int
    text: str


@dataclass
class Extracted:
    """What ``extract`` found: an optional title, the pages in order, and the format name."""

    title: str | None
    pages: list[Page] = field(default_factory=list)
    format: str = "text"

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "format": self.format,
                "pages": [{"number": p.number, "text": p.text} for p in self.pages]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extracted:
        pages = [Page(int(p["number"]), str(p["text"])) for p in data.get("pages", [])]
        return cls(title=data.get("title"), pages=pages, format=str(data.get("format", "text")))
