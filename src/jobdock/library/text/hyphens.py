"""Words split by a hyphen at a line end: join them only where the result is a word.

"infor-" + "mation" → "information", but "camera-" + "ready" stays "camera-ready" and
"--no-" + "site-file" stays "--no-site-file". The judge is the document's own
vocabulary: a joined form it uses elsewhere is a word; a hyphenated form it uses, or
two halves it uses as words on their own, make a compound. Unknown halves starting in
lower case are a split word (the usual typesetter's hyphenation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
LINE_SPLIT = re.compile(r"[^\W\d_]+-\n\s*[^\W\d_]+")  # the split words themselves
LAST_WORD = re.compile(r"(\S*?)([^\W\d_]+)-$")
FIRST_WORD = re.compile(r"[^\W\d_]+")


class Vocabulary:
    """Lower-cased words and hyphenated compounds of some texts (split words left out)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words: set[str] = set()
        self.compounds: set[str] = set()
        for text in texts:
            # WORD never spans a line end: no list of every line of a big text needed
            for match in WORD.finditer(LINE_SPLIT.sub(" ", text)):
                word = match.group().casefold()
                if "-" in word:
                    self.compounds.add(word)
                    self.words.update(word.split("-"))
                else:
                    self.words.add(word)


def join_hyphenated(out: str, following: str, vocabulary: Vocabulary) -> str:
    """``out`` (ending in ``word-``) made ready for ``following`` to be appended to it."""
    match = LAST_WORD.search(out)
    first = FIRST_WORD.match(following)
    if match is None or first is None:
        return out + " "
    before, left = match.group(1), match.group(2)
    right = first.group()
    keep = out  # "camera-" + "ready"
    joined = out[:-1]  # "infor" + "mation"
    if before.startswith("-") or before.endswith("-"):
        return keep  # an option or a chain: "--no-" + "site-file", "state-of-" + "the-art"
    if f"{left}-{right}".casefold() in vocabulary.compounds:
        return keep
    if (left + right).casefold() in vocabulary.words:
        return joined
    if left.casefold() in vocabulary.words and right.casefold() in vocabulary.words:
        return keep
    if right[0].islower() or (left.isupper() and right.isupper() and len(left) > 1):
        return joined
    return keep  # "S-" + "Plus": a capital starts a new part of a name
