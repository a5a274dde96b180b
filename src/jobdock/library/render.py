"""Documents and chunks for people at a terminal (the JSON keeps everything)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from jobdock.library.rows import ChunkRow, DocumentRow

PREVIEW_CHARS = 240
_FIELDS = (("title", "title"), ("id", "id"), ("status", "status"), ("type", "source_type"),
           ("file", "filename"), ("user", "user_id"), ("pages", "page_count"),
           ("chunks", "chunk_count"), ("words", "word_count"), ("embedder", "embedder"),
           ("error", "processing_error"), ("added", "created_at"),
           ("processed", "processing_completed_at"))


def document_grid(doc: DocumentRow) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, key in _FIELDS:
        value = doc.get(key)
        if value not in (None, ""):
            table.add_row(label, escape(str(value)))
    outline = (doc.get("metadata") or {}).get("outline") or []
    if outline:
        titles = [str(o.get("title", o)) if isinstance(o, dict) else str(o) for o in outline]
        shown = ", ".join(titles[:6]) + (f" (+{len(titles) - 6} more)" if len(titles) > 6 else "")
        table.add_row("outline", escape(shown))
    return table


def chunk_text(chunk: ChunkRow) -> str:
    """'#3  p. 2-3  Intro > Setup  212 words' then the text's start, indented; no vectors."""
    where = []
    if chunk.get("page_start"):
        end = chunk.get("page_end")
        where.append(f"p. {chunk['page_start']}" + (f"-{end}" if end and end != chunk["page_start"]
                                                      else ""))
    if chunk.get("heading_path"):
        where.append(" > ".join(str(h) for h in chunk["heading_path"]))
    where.append(f"{chunk.get('word_count') or 0} words")
    text = " ".join(str(chunk.get("content", "")).split())
    preview = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
    body = textwrap.indent(textwrap.fill(preview, 76), "    ")
    keywords = ", ".join(map(str, (chunk.get("keywords") or [])[:8]))
    tail = f"\n    [dim]keywords: {escape(keywords)}[/]" if keywords else ""
    return (f"\n[bold]#{chunk.get('chunk_index')}[/]  {escape('  '.join(where))}\n"
            f"{escape(body)}{tail}")


def documents_table(docs: Sequence[DocumentRow]) -> Table:
    """For a terminal: id and status whole, the title wraps (fits 80 columns)."""
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("id", no_wrap=True, min_width=36)
    table.add_column("status", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("chunks", no_wrap=True, justify="right")
    table.add_column("title", overflow="fold", ratio=1, min_width=10)
    for d in docs:
        table.add_row(d["id"], d["status"], d["source_type"], str(d["chunk_count"]),
                      escape(d["title"]))
    return table


def document_line(doc: DocumentRow) -> str:
    fields = [doc["id"], doc["status"], doc["source_type"], str(doc["chunk_count"]),
              doc["user_id"], doc["title"]]
    return "\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields)
