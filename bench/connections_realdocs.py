"""Connections on real software manuals, the way a newcomer meets them.

    .venv/bin/python bench/connections_realdocs.py                  # hashing (the default)
    .venv/bin/python bench/connections_realdocs.py --embedder minilm
    .venv/bin/python bench/connections_realdocs.py --files a.pdf b.epub ...

Runs the CLI on a fresh SQLite database and storage in a temporary directory:
``jobdock documents add FILES --run``, then ``jobdock connections detect DOC --run`` for
every document (``process_document`` queues one run for the first document only), and
reports per document and engine: the connections its page lists (``jobdock connections
list DOC --json``, a pair found from both sides once) and the most any one of its
passages has there; the stored rows touching it (both directions) and the most per
passage; and the document's domain labels (passages per label).

The default files are three Debian software manuals: libtasn1-doc's libtasn1.pdf,
shared-mime-info's spec and developers-reference's EPUB (looked for under /usr/share and
in bench/quality's cache of extracted Debian packages). Missing ones are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JOBDOCK = ROOT / ".venv" / "bin" / "jobdock"
DEFAULT_FILES = [
    ["/usr/share/doc/libtasn1-doc/libtasn1.pdf"],
    ["/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"],
    ["/usr/share/developers-reference/developers-reference.epub",
     str(ROOT / "bench/quality/.cache/root/usr/share/developers-reference/"
             "developers-reference.epub"),
     "/work/wt/textq/bench/quality/.cache/root/usr/share/developers-reference/"
     "developers-reference.epub"],
]


def _first_existing(options: list[str]) -> str | None:
    return next((p for p in options if Path(p).is_file()), None)


def run(files: list[str], embedder: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="jobdock-realdocs-") as tmp:
        env = dict(os.environ, JOBDOCK_DATABASE_URL=f"sqlite:///{tmp}/db.sqlite",
                   JOBDOCK_STORAGE_URL=f"{tmp}/storage")
        subprocess.run([str(JOBDOCK), "documents", "add", *files, "--run",
                        "--embedder", embedder], env=env, check=True, capture_output=True)
        db = sqlite3.connect(f"{tmp}/db.sqlite")
        docs = db.execute("SELECT id, title FROM documents ORDER BY title").fetchall()
        for doc_id, _ in docs:
            subprocess.run([str(JOBDOCK), "connections", "detect", doc_id, "--run"],
                           env=env, check=True, capture_output=True)
        return _report(db, docs, env)


def _report(db: sqlite3.Connection, docs: list[tuple[str, str]],
            env: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for doc_id, title in docs:
        listed = json.loads(subprocess.run(
            [str(JOBDOCK), "connections", "list", doc_id, "--json"], env=env, check=True,
            capture_output=True, text=True).stdout)
        page: dict[str, int] = {}
        per_passage: dict[tuple[str, str], int] = {}
        for conn in listed:
            page[conn["engine"]] = page.get(conn["engine"], 0) + 1
            key = (conn["engine"], conn["passage"]["chunk_id"])
            per_passage[key] = per_passage.get(key, 0) + 1
        page_busiest: dict[str, int] = {}
        for (engine, _), n in per_passage.items():
            page_busiest[engine] = max(page_busiest.get(engine, 0), n)
        engines = dict(db.execute(
            "SELECT engine, count(*) FROM connections WHERE source_document_id = ? "
            "OR target_document_id = ? GROUP BY engine", (doc_id, doc_id)).fetchall())
        busiest = dict(db.execute(
            "SELECT engine, max(n) FROM (SELECT engine, chunk, count(*) AS n FROM ("
            " SELECT engine, source_chunk_id AS chunk FROM connections"
            "  WHERE source_document_id = ?"
            " UNION ALL SELECT engine, target_chunk_id FROM connections"
            "  WHERE target_document_id = ?) GROUP BY engine, chunk) GROUP BY engine",
            (doc_id, doc_id)).fetchall())
        labels = dict(db.execute(
            "SELECT domain, count(*) FROM chunk_enrichments WHERE document_id = ? "
            "GROUP BY domain ORDER BY count(*) DESC", (doc_id,)).fetchall())
        chunks = db.execute("SELECT count(*) FROM chunks WHERE document_id = ?",
                            (doc_id,)).fetchone()[0]
        explanations = [r[0] for r in db.execute(
            "SELECT json_extract(metadata, '$.explanation') FROM connections "
            "WHERE engine = 'thematic_bridge' AND (source_document_id = ? "
            "OR target_document_id = ?) ORDER BY strength DESC LIMIT 2",
            (doc_id, doc_id)).fetchall()]
        out[title] = {"chunks": chunks, "page": page, "page_most_per_passage": page_busiest,
                      "rows": engines, "rows_most_per_passage": busiest,
                      "domains": labels, "top_thematic": explanations}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="hashing")
    parser.add_argument("--files", nargs="*")
    args = parser.parse_args()
    files = args.files or [f for f in map(_first_existing, DEFAULT_FILES) if f]
    if not files:
        sys.exit("none of the default files is on this machine; pass --files")
    print(json.dumps({"embedder": args.embedder, "files": files,
                      "documents": run(files, args.embedder)}, indent=1))


if __name__ == "__main__":
    main()
