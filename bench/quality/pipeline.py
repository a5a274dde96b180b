"""One document through one revision's text pipeline; prints JSON (run as a subprocess).

``python bench/quality/pipeline.py FILE`` uses whatever ``jobdock`` is importable, so the
harness runs an older revision by putting its ``src`` first on ``PYTHONPATH``. It adapts
to the older API (no ``kind`` for cleanup, no tokenizer-aware chunking).
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import time
from pathlib import Path


def text_package():  # type: ignore[no-untyped-def]
    for name in ("jobdock.library.text", "jobdock.documents.text"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise SystemExit("no jobdock text pipeline importable")


def main(path: Path) -> dict:  # type: ignore[type-arg]
    text = text_package()
    data = path.read_bytes()
    started = time.perf_counter()
    extracted = text.extract(data, path.name)
    extract_s = time.perf_counter() - started
    cleanup = text.cleanup_with_pages
    if "kind" in inspect.signature(cleanup).parameters:
        markdown, spans = cleanup(extracted.pages, kind=extracted.format)
    else:
        markdown, spans = cleanup(extracted.pages)
    cleanup_s = time.perf_counter() - started - extract_s
    window_of = getattr(text, "embedder_window", None)
    if window_of is not None:  # chunk as process_document does for the minilm embedder
        window, counter = window_of("minilm")
        chunks = text.chunk_markdown(markdown, spans, target_tokens=min(512, window),
                                     max_tokens=min(800, window), count=counter)
    else:
        window = None
        chunks = text.chunk_markdown(markdown, spans, target_tokens=512, max_tokens=800)
    return {"markdown": markdown, "pages": len(extracted.pages), "extract_s": extract_s,
            "cleanup_s": cleanup_s, "pooled_windows": window is not None,
            "module": text.__name__, "source": inspect.getsourcefile(text),
            "chunks": [{"content": c.content, "heading_path": c.heading_path}
                       for c in chunks]}


if __name__ == "__main__":
    json.dump(main(Path(sys.argv[1])), sys.stdout)
