"""Work files of a staged document job: what a stage produces, streamed to storage
(``work/…`` beside the document's files, deleted with the job's intermediate files) and
read back checked against the hash its checkpoint recorded; vectors a part at a time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import PermanentError


def write_work(ctx: JobContext, name: str, pieces: Iterable[bytes]) -> dict[str, Any]:
    """Stream ``pieces`` to ``work/{name}``; its key, sha256 and size."""
    digest = hashlib.sha256()
    size = 0

    def hashed() -> Iterator[bytes]:
        nonlocal size
        for piece in pieces:
            digest.update(piece)
            size += len(piece)
            yield piece

    key = ctx.save_file_stream(f"work/{name}", hashed(), final=False)
    return {"key": key, "sha256": digest.hexdigest(), "bytes": size}


def read_work(ctx: JobContext, ref: dict[str, Any]) -> bytes:
    data = ctx.read_file(ref["key"])
    if data is None or hashlib.sha256(data).hexdigest() != ref["sha256"]:
        why = "is missing" if data is None else "does not match its hash"
        raise PermanentError(f"the intermediate file {ref['key']} {why}; process the "
                             "document again (a new job)")
    return data


def read_text(ctx: JobContext, ref: dict[str, Any]) -> str:
    return read_work(ctx, ref).decode()  # the bytes go as soon as they are decoded


def utf8_pieces(pieces: Iterable[str]) -> Iterator[bytes]:
    """Text pieces as UTF-8 bytes of about 64 KB each."""
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            yield "".join(batch).encode()
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode()


def json_lines(items: Iterable[Any]) -> Iterator[str]:
    for item in items:
        yield json.dumps(item, sort_keys=True, ensure_ascii=False) + "\n"


def read_json_lines(data: bytes) -> Iterator[Any]:
    start = 0
    while start < len(data):
        end = data.index(b"\n", start)
        yield json.loads(data[start:end])
        start = end + 1


def write_vectors_part(ctx: JobContext, start: int, held: list[np.ndarray]) -> dict[str, Any]:
    block = np.concatenate(held) if held else np.zeros((0, 0))
    ref = write_work(ctx, f"vectors-{start:08d}.f64", [block.astype("<f8").tobytes()])
    return {**ref, "start": start, "count": int(block.shape[0]),
            "dimensions": int(block.shape[1]) if block.ndim == 2 else 0}


def read_vectors(ctx: JobContext, vectors: dict[str, Any]) -> Iterator[list[float]]:
    """Every chunk's vector in order, reading one part at a time."""
    for part in vectors["parts"]:
        if not part["count"]:
            continue
        block = np.frombuffer(read_work(ctx, part), dtype="<f8")
        for vector in block.reshape(int(part["count"]), int(part["dimensions"])):
            yield vector.tolist()  # one at a time: as Python floats a vector is 4x bigger
