"""Domain label of a passage: the field whose seed vocabulary it uses, when the evidence
is enough; otherwise ``general`` (no label), which keeps the passage out of thematic
bridges.

Each domain has a few dozen seed words, matched by Snowball stem like concepts
("invested" meets "investment"), except those written ``=word``: their stem is an
everyday word ("selection" → "select", "population" → "popul", "personality" →
"person", "reproduce" → "reproduc" as in "reproducible"), so they match only
themselves and their plural. Seeds that are everyday words in technical and general
prose ("field", "match", "team", "state", "party", "character", "memory", "argument",
"history", "care", "meaning", "reason") are left out.

Evidence, per passage: the winning domain needs ``MIN_HITS`` seed words in all, of at
least ``MIN_DISTINCT`` different words, ``MIN_SHARE`` of all its domain hits and more
than the runner-up; a passage that uses one field's word over and over ("vote",
"vote", "vote") or mixes fields evenly is ``general``. Within a document
(:func:`label_passages`), a passage labelled away from its document's own field (a
field that has ``DOCUMENT_DISTINCT`` different seed words and ``DOCUMENT_SHARE`` of the
document's hits) needs ``OFF_FIELD_DISTINCT`` different seed words (one paragraph of a
software manual with "cells" and "population" in it is not biology), a tie between
the document's field and another goes to the field, and a passage with too little
evidence of its own takes the document's field, unless what it has points to another
field (then it is ``general``): a paragraph of an essay on compound interest that says
"money" once is economics, one of an economics essay that says "gene" four times is
not.

Deterministic, local, instant, and independent of the embedder (the metadata stage runs
before the embeddings).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from jobdock.library.connections.concepts import stem

GENERAL = "general"
MIN_HITS = 2
MIN_DISTINCT = 2
MIN_SHARE = 0.5
DOCUMENT_DISTINCT = 4
DOCUMENT_SHARE = 0.5
OFF_FIELD_DISTINCT = 3

SEEDS: dict[str, str] = {
    "economics": """economy economic economics market price wage labor labour =employment
        unemployment =employer inflation tax income poverty business trade profit demand
        =supply consumer spending investment firm worker salary =productivity money
        finance financial bank loan debt""",
    "biology": """biology biological species evolution evolve evolutionary =selection gene
        genetic genome organism mutation =population cell dna trait offspring =survival
        =reproduce =reproduction =adaptation predator prey habitat darwin protein""",
    "technology": """software code program programming computer algorithm data developer
        engineering engineer system test testing release deploy user feature prototype
        design iteration network server application =digital package library compiler
        function interface database""",
    "medicine": """health patient disease doctor treatment clinical hospital drug therapy
        symptom medical medicine vaccine infection diagnosis nurse""",
    "politics": """government political politics politician vote voter election
        democracy congress parliament legislation minister citizen senate president
        campaign constitution""",
    "psychology": """mental =emotion emotional behavior behaviour cognitive =perception
        anxiety =motivation habit brain stress =personality psychology psychologist""",
    "philosophy": """truth ethics ethical moral morality virtue metaphysics consciousness
        justice philosopher philosophy philosophical epistemology ontology""",
    "physics": """energy =mass particle quantum gravity velocity motion physics atom
        electron wave temperature heat""",
    "environment": """climate carbon emissions pollution forest ocean =warming =renewable
        fossil biodiversity =conservation soil drought""",
    "history": """war empire century ancient medieval revolution king kingdom dynasty
        colonial historian battle treaty""",
    "arts": """art artist =painting painter music musician poem poetry poet literature
        film theatre theater song sculpture novelist""",
    "cooking": """bread dough flour yeast oven bake baking recipe butter cook cooking
        kitchen loaf starter knead crust flavor flavour ingredient""",
    "sports": """player coach league football tennis athlete championship tournament
        racket stadium referee""",
    "education": """school student teacher classroom curriculum education lesson exam
        university""",
}

WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class DomainLabel:
    domain: str
    confidence: float

    def to_dict(self) -> dict[str, object]:
        return {"primaryDomain": self.domain, "confidence": self.confidence}


@lru_cache(maxsize=1)
def seed_index() -> tuple[dict[str, str], dict[str, str]]:
    """(stem → domain, exact word → domain); a seed claimed by two domains belongs to
    the first listed."""
    stems: dict[str, str] = {}
    exact: dict[str, str] = {}
    for domain, words in SEEDS.items():
        for word in words.split():
            if word.startswith("="):
                exact.setdefault(word[1:], domain)
            else:
                stems.setdefault(stem(word), domain)
    return stems, exact


def _seed(word: str) -> tuple[str, str] | None:
    """(seed, domain) of one lower-case word, if it is a seed."""
    stems, exact = seed_index()
    for form in (word, word[:-1] if word.endswith("s") else ""):
        if form in exact:
            return form, exact[form]
    key = stem(word)
    return (key, stems[key]) if key in stems else None


def seed_hits(text: str) -> dict[str, Counter[str]]:
    """domain → counts of its seeds in ``text``."""
    hits: dict[str, Counter[str]] = {}
    for word in WORD.findall(text.lower()):
        found = _seed(word)
        if found:
            hits.setdefault(found[1], Counter())[found[0]] += 1
    return hits


def label(text: str) -> DomainLabel:
    """The domain of one passage on its own."""
    return _decide(seed_hits(text), None)


def label_passages(texts: Sequence[str]) -> list[DomainLabel]:
    """The domain of each passage of one document, in order (see the module's doc)."""
    per_passage = [seed_hits(t) for t in texts]
    whole: dict[str, Counter[str]] = {}
    for hits in per_passage:
        for domain, words in hits.items():
            whole.setdefault(domain, Counter()).update(words)
    field = document_field(whole)
    total = sum(sum(w.values()) for w in whole.values())
    share = round(sum(whole[field].values()) / total, 4) if field else 0.0
    return [_decide(hits, field, share) for hits in per_passage]


def document_field(hits: dict[str, Counter[str]]) -> str | None:
    """The field a whole document is in, when it clearly is in one."""
    total = sum(sum(w.values()) for w in hits.values())
    if not total:
        return None
    best = _ranked(hits)[0]
    words = hits[best]
    if len(words) >= DOCUMENT_DISTINCT and sum(words.values()) >= DOCUMENT_SHARE * total:
        return best
    return None


def _ranked(hits: dict[str, Counter[str]], field: str | None = None) -> list[str]:
    """Domains by hits, then distinct seeds; a tie goes to the document's field."""
    order = list(SEEDS)
    return sorted(hits, key=lambda d: (-sum(hits[d].values()), -len(hits[d]), d != field,
                                       order.index(d)))


def _decide(hits: dict[str, Counter[str]], field: str | None,
            field_share: float = 0.0) -> DomainLabel:
    own = _own(hits, field)
    if own is not None:
        return own
    # Too little evidence of its own: the passage is in its document's field, unless
    # what it has points to another (two hits or more, ahead of the field's).
    if field is None:
        return DomainLabel(GENERAL, 0.0)
    in_field = sum(hits.get(field, Counter()).values())
    if any(sum(w.values()) >= MIN_HITS and sum(w.values()) > in_field
           for d, w in hits.items() if d != field):
        return DomainLabel(GENERAL, 0.0)
    return DomainLabel(field, field_share)


def _own(hits: dict[str, Counter[str]], field: str | None) -> DomainLabel | None:
    """The passage's label on its own evidence, or None when that is not enough."""
    if not hits:
        return None
    ranked = _ranked(hits, field)
    best = ranked[0]
    count = sum(hits[best].values())
    total = sum(sum(w.values()) for w in hits.values())
    runner_up = sum(hits[ranked[1]].values()) if len(ranked) > 1 else 0
    own_field = field is not None and best == field
    needed = MIN_DISTINCT if field is None or own_field else OFF_FIELD_DISTINCT
    ahead = count >= runner_up if own_field else count > runner_up
    if count < MIN_HITS or len(hits[best]) < needed or count < MIN_SHARE * total \
            or not ahead:
        return None
    return DomainLabel(best, round(count / total, 4))
