"""MiniLM throughput: long (254-wordpiece) and short chunks/s, idle and with one core busy.

    .venv/bin/python bench/minilm_speed.py [--runs 3] [--runtime onnx numpy]

"Busy" starts a process that spins on one core for the whole measurement (the machine
has two). Each figure is the median of ``--runs`` runs; the machine is shared, so the
load average at the start is printed next to them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time

from jobdock.library.text.minilm import WINDOW, load_encoder

SENTENCE = ("The worker claims a job from the queue, keeps its lease alive with heartbeats "
            "and writes a checkpoint after every stage so that a crash loses little work. ")


def spin(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    while not stop.is_set():
        sum(range(10_000))


def texts(encoder, long: bool, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    if not long:
        return [f"{i}: how do I resume a paused job?" for i in range(count)]
    base = SENTENCE * 12
    ids = encoder.tokenizer.encode(base, add_special_tokens=False).ids[:WINDOW]
    text = encoder.tokenizer.decode(ids)
    return [f"{i} {text}" for i in range(count)]


def rate(encoder, batch: list[str], runs: int) -> float:  # type: ignore[no-untyped-def]
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        encoder.encode_many(batch)
        rates.append(len(batch) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runtime", nargs="*", default=["onnx", "numpy"])
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load average at start {os.getloadavg()[0]:.1f}")
    for runtime in args.runtime:
        encoder = load_encoder(runtime)
        encoder.encode_many(["warm up"] * 2)
        for busy in (False, True):
            stop = multiprocessing.Event()
            spinner = multiprocessing.Process(target=spin, args=(stop,)) if busy else None
            if spinner:
                spinner.start()
            try:
                count = args.count if runtime == "onnx" else max(8, args.count // 4)
                long_rate = rate(encoder, texts(encoder, True, count), args.runs)
                short_rate = rate(encoder, texts(encoder, False, count * 4), args.runs)
            finally:
                if spinner:
                    stop.set()
                    spinner.join()
            state = "one core busy" if busy else "no extra load"
            print(f"{runtime:<6} {state:<14} long {long_rate:6.1f} chunks/s   "
                  f"short {short_rate:6.1f} chunks/s", flush=True)


if __name__ == "__main__":
    main()
