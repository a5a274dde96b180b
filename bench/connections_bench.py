"""Connection engines: one new 150-chunk document against a library of N chunks.

    .venv/bin/python bench/connections_bench.py                 # 10k 25k 50k 100k
    .venv/bin/python bench/connections_bench.py --sizes 100000 --runs 3

Each size runs in a fresh child process so that its peak memory (ru_maxrss) is its
own. The library is synthetic but shaped like the real one: 384-d MiniLM-sized unit
vectors around 400 topic centres (so cosines > 0.7 exist), 5 concepts and 30 more
vocabulary keys per chunk (as enrichment version 2 stores) drawn Zipf-like from a
20,000-word vocabulary, importance uniform 0-1, polarity in -1..1,
one of 14 domains at random. Reported per size (medians over --runs): building the columnar
table from records, each engine, and the total; peak RSS of the child.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

DIMS = 384
NEW_CHUNKS = 150
VOCABULARY = 30  # keys after the 5 concepts proper (enrich.VOCABULARY)
CHUNKS_PER_DOC = 150


def _library(n: int, seed: int = 1):
    from jobdock.library.connections.domains import SEEDS
    from jobdock.library.connections.table import ChunkRecord

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(400, DIMS)).astype(np.float32)
    topics = rng.integers(0, 400, size=n + NEW_CHUNKS)
    vectors = centres[topics] + 0.75 * rng.normal(size=(n + NEW_CHUNKS, DIMS)).astype(
        np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ranks = np.arange(1, 20001)
    weights = 1.0 / ranks
    weights /= weights.sum()
    words = rng.choice(20000, size=(n + NEW_CHUNKS, 5 + VOCABULARY), p=weights)
    domains = list(SEEDS)
    records = []
    for i in range(n + NEW_CHUNKS):
        doc = "new" if i >= n else f"doc{i // CHUNKS_PER_DOC}"
        keys = tuple(f"w{w}" for w in dict.fromkeys(words[i].tolist()))
        records.append(ChunkRecord(
            f"c{i}", doc, vectors[i], float(rng.random()), float(rng.uniform(-1, 1)),
            domains[int(rng.integers(len(domains)))], keys, keys[:5]))
    return records


def measure(n: int) -> dict[str, float]:
    from jobdock.library.connections import contradiction, semantic, thematic
    from jobdock.library.connections.table import ChunkTable

    records = _library(n)
    figures: dict[str, float] = {}
    start = time.perf_counter()
    table = ChunkTable.from_records(records)
    del records
    figures["table_s"] = time.perf_counter() - start
    sources = table.rows_of_document("new")
    targets = table.target_mask(None)
    counts = {}
    for name, engine in (("semantic", semantic), ("contradiction", contradiction),
                         ("thematic", thematic)):
        began = time.perf_counter()
        rows = thematic.select_sources(table, sources) if engine is thematic else sources
        found = []
        for batch in np.array_split(rows, max(1, len(rows) // 50)):  # cursors: 50 a batch
            found += engine.find(table, batch, targets)
        figures[f"{name}_s"] = time.perf_counter() - began
        counts[name] = len(found)
    figures["engines_s"] = sum(figures[f"{k}_s"] for k in counts)
    figures["total_s"] = figures["engines_s"] + figures["table_s"]
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures.update({f"{k}_found": float(v) for k, v in counts.items()})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,25000,50000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print(f"{'library':>8} {'table s':>8} {'semantic':>9} {'contra':>8} {'thematic':>9} "
          f"{'engines s':>10} {'total s':>8} {'peak MiB':>9}  found s/c/t")
    for size in (int(s) for s in args.sizes.split(",")):
        runs = [json.loads(subprocess.run(
            [sys.executable, __file__, "--child", str(size)], check=True,
            capture_output=True, text=True).stdout) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{size:>8} {med['table_s']:>8.2f} {med['semantic_s']:>9.3f} "
              f"{med['contradiction_s']:>8.3f} {med['thematic_s']:>9.3f} "
              f"{med['engines_s']:>10.2f} {med['total_s']:>8.2f} {med['peak_rss_mib']:>9.0f}"
              f"  {med['semantic_found']:.0f}/{med['contradiction_found']:.0f}/"
              f"{med['thematic_found']:.0f}", flush=True)


if __name__ == "__main__":
    main()
