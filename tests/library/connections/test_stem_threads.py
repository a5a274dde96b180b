"""Stemming from several threads at once (a worker runs jobs in threads: two documents
imported together enrich at the same time). A Snowball stemmer keeps its working state
in the object, so unguarded calls raced: "string index out of range" in an import job,
or a wrong stem."""

import random
import string
import threading

import snowballstemmer

from jobdock.library.connections import concepts


def test_stem_is_safe_from_several_threads():
    rng = random.Random(7)
    words = sorted({"".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 12)))
                    + rng.choice(["ing", "ation", "ness", "s", "ed", "ly", "fulness"])
                    for _ in range(120_000)})
    expected = snowballstemmer.stemmer("english").stemWords(words)
    concepts.stem.cache_clear()
    got: dict[str, str] = {}
    errors: list[str] = []

    def work(part: list[str]) -> None:
        try:
            got.update((w, concepts.stem(w)) for w in part)
        except Exception as exc:  # the race raised IndexError
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(words[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [got[w] for w in words] == expected
