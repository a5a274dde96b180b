"""``python -m bench.quality [--before REV]``: the text-quality table, saved to bench/results.

Runs every corpus document (see :mod:`.corpus`) through the working tree's pipeline
and, with ``--before REV``, through that git revision's as well (its ``src`` exported
to the cache), each in a subprocess. Retrieval embeds the chunks with the current
MiniLM: a revision that cut texts at 256 wordpieces gets its first window only, as it
did. Results go to ``bench/results/quality-<date>.md`` and ``.json``
(``--out NAME`` for another name, ``--out none`` for none).

For PDFs, coverage is measured against pdftotext's text without its page furniture, and
"running heads left" counts that furniture in our text; furniture is found by position
(``measures.furniture``): a line in a page's top or bottom row whose shape, numbers
(arabic or roman) aside, recurs at the same height on three pages or more.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.quality import measures
from bench.quality.corpus import (
    CACHE,
    DOCS,
    Doc,
    fetch,
    reference_headings,
    reference_lines,
    reference_text,
)
from bench.quality.queries import QUERIES

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
WINDOW = 254


def run_pipeline(path: Path, src: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run([sys.executable, str(Path(__file__).with_name("pipeline.py")),
                             str(path)], env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        return {"error": result.stderr.strip().split("\n")[-1][:200]}
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def export(rev: str) -> Path:
    target = CACHE / f"src-{rev}"
    if not target.exists():
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def evaluate(doc: Doc, path: Path, out: dict[str, Any], encoder: Any,
             with_retrieval: bool = True) -> dict[str, Any]:
    if "error" in out:
        return {"error": out["error"]}
    reference = reference_text(doc, path)
    markdown = out["markdown"]
    glued, glued_pct = measures.glued(reference, markdown)
    hyphens, hyphen_examples = measures.hyphen_errors(reference, markdown)
    found, findable, outline = measures.headings_found(
        reference_headings(doc, path), markdown,
        reference.split("\f") if doc.kind == "pdf" else None)
    counts = [len(encoder.tokenizer.encode(c["content"], add_special_tokens=False).ids)
              for c in out["chunks"]]
    furniture = measures.furniture(reference_lines(doc, path)) if doc.kind == "pdf" else []
    row: dict[str, Any] = {
        "coverage": 100.0 * measures.coverage(
            measures.body(reference, furniture) if doc.kind == "pdf" else reference, markdown),
        "glued": glued, "glued_pct": glued_pct,
        "hyphen_errors": hyphens, "hyphen_examples": hyphen_examples,
        "headings_found": found, "headings_findable": findable, "headings_ref": outline,
        "tokens": measures.token_stats(counts, WINDOW), "pages": out["pages"],
        "extract_pages_s": out["pages"] / max(out["extract_s"], 1e-9)}
    if doc.kind == "pdf":
        left, examples = measures.running_heads_left(reference, furniture, markdown)
        row.update(running_heads=left, running_head_examples=examples)
    if with_retrieval and doc.name in QUERIES:
        row.update(retrieval(out, QUERIES[doc.name], encoder))
    return row


def retrieval(out: dict[str, Any], queries: list[tuple[str, str]],
              encoder: Any) -> dict[str, Any]:
    import numpy as np

    windows = None if out["pooled_windows"] else 1
    contents = [c["content"] for c in out["chunks"]]
    vectors = encoder.encode_many(contents, windows)
    flat = [" ".join(c.split()).casefold() for c in contents]
    hits1 = hits5 = 0
    for query, answer in queries:
        scores = vectors @ encoder.encode(query)
        top = list(np.argsort(-scores)[:5])
        holds = [i for i, text in enumerate(flat) if answer.casefold() in text]
        hits1 += bool(top[:1] and top[0] in holds)
        hits5 += any(i in holds for i in top)
    return {"hit1": hits1, "hit5": hits5, "queries": len(queries)}


def table(results: dict[str, dict[str, Any]], labels: list[str]) -> str:
    head = ("| document | run | coverage % | glued (% tok) | running heads left | hyphen errors "
            "| headings / findable (outline) | chunks | tok median / p95 / max | over window "
            "| under 50 | unembedded % | hit@1 | hit@5 | extract pages/s |")
    lines = [head, "|" + "---|" * 15]
    for doc in DOCS:
        for label in labels:
            if doc.name not in results[label]:
                continue
            row = results[label][doc.name]
            if "error" in row or not row:
                lines.append(f"| {doc.name} | {label} | error: {row.get('error', 'missing')} |")
                continue
            t = row["tokens"]
            heads = row.get("running_heads", "-")
            q = row.get("queries")
            hit1 = f"{row['hit1']}/{q}" if q else "-"
            hit5 = f"{row['hit5']}/{q}" if q else "-"
            findable, outline = row.get("headings_findable", row["headings_ref"]), \
                row["headings_ref"]
            found = f"{row['headings_found']}/{findable}" + \
                ("" if findable == outline else f" ({outline})")
            lines.append(
                f"| {doc.name} | {label} | {row['coverage']:.1f} | {row['glued']} "
                f"({row['glued_pct']:.2f}) | {heads} | {row['hyphen_errors']} | "
                f"{found} | {t['chunks']} | "
                f"{t.get('median', 0):.0f} / {t.get('p95', 0)} / {t.get('max', 0)} | "
                f"{t.get('over_window', 0)} | {t.get('under_50', 0)} | "
                f"{t.get('unembedded_pct', 0):.1f} | {hit1} | {hit5} | "
                f"{row['extract_pages_s']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="a git revision to compare with (e.g. a commit)")
    parser.add_argument("--only", nargs="*", help="document names to run")
    parser.add_argument("--no-retrieval", action="store_true",
                        help="skip hit@k (embedding every chunk is the slow part)")
    parser.add_argument("--out", help="results file name without extension (default "
                        "quality-<date>[-no-retrieval]; 'none' writes no file)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from bench.quality.pipeline import text_package

    encoder = text_package().minilm.load_encoder()
    docs = [d for d in DOCS if not args.only or d.name in args.only]
    paths = fetch(docs)
    sources = {"after": ROOT / "src"}
    if args.before:
        sources = {"before": export(args.before), **sources}
    results: dict[str, dict[str, Any]] = {label: {} for label in sources}
    for doc in docs:
        for label, src in sources.items():
            out = run_pipeline(paths[doc.name], src)
            results[label][doc.name] = evaluate(doc, paths[doc.name], out, encoder,
                                                not args.no_retrieval)
            print(f"{doc.name} {label} done", file=sys.stderr, flush=True)
    text = table(results, list(sources))
    print(text)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    RESULTS.mkdir(parents=True, exist_ok=True)
    provenance = "\n".join(f"- {d.name}: Debian package `{d.package}`, `{d.path}`, "
                           f"licence {d.licence} ({d.note})" for d in docs)
    name = args.out or f"quality-{stamp}{'-no-retrieval' if args.no_retrieval else ''}"
    if name == "none":
        return
    (RESULTS / f"{name}.md").write_text(
        f"# Text quality harness, {stamp}\n\n`python -m bench.quality"
        f"{' --before ' + args.before if args.before else ''}"
        f"{' --no-retrieval' if args.no_retrieval else ''}`; runs: "
        f"{', '.join(sources)}.\n\n{text}\n\n## Corpus\n\n{provenance}\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
