"""Split a document's text into plain and highlighted segments for the document page."""

from __future__ import annotations

from typing import Any


def segments(text: str, annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{"text", "annotation"|None}]`` in order; overlapping highlights are clipped to
    the earlier one (a passage shows one colour), lost anchors are left out."""
    out: list[dict[str, Any]] = []
    pos = 0
    for ann in sorted(annotations, key=lambda a: (a["start_offset"], a["end_offset"])):
        if ann.get("anchor_method") == "lost":
            continue
        start, end = max(ann["start_offset"], pos), min(ann["end_offset"], len(text))
        if start >= end:
            continue
        if start > pos:
            out.append({"text": text[pos:start], "annotation": None})
        out.append({"text": text[start:end], "annotation": ann})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "annotation": None})
    return out
