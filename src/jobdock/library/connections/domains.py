"""Domain label of a passage: the field whose seed vocabulary it uses most.

Each domain has a few dozen seed words, stemmed like concepts. A passage scores, per
domain, the number of its words whose stem is a seed of that domain; the label is the
top domain, its confidence the top score's share of all domain hits (ties broken by the
order below). Fewer than two hits in all → ``general``. The document's own hits weigh in
as a prior (:func:`label`), so the paragraphs of one essay do not scatter over fields.
Deterministic, local, instant, and independent of the embedder (the metadata stage runs
before the embeddings).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from jobdock.library.connections.concepts import stem

GENERAL = "general"
MIN_HITS = 2
DOCUMENT_PRIOR = 3.0  # pseudo-hits a passage takes from its document's field

SEEDS: dict[str, str] = {
    "economics": """economy economic economics market markets price prices wage wages
        labor labour employment unemployment employer employers job jobs inflation tax
        taxes income poverty business businesses trade profit profits cost costs demand
        supply consumer consumers spending growth capital investment firm firms worker
        workers salary productivity money finance financial""",
    "biology": """biology species evolution evolve evolved natural selection gene genes
        genetic organism organisms mutation mutations population populations cell cells
        dna trait traits offspring survival reproduce reproduction adaptation adapt
        predator predators prey ecosystem habitat fitness darwin protein""",
    "technology": """software code program programs programming computer computers
        algorithm algorithms data developer developers engineering engineer engineers
        system systems test testing release releases deploy user users feature features
        prototype design iteration network server application digital""",
    "medicine": """health patient patients disease diseases doctor doctors treatment
        treatments clinical hospital drug drugs therapy symptom symptoms medical medicine
        vaccine infection diagnosis nurse care""",
    "politics": """government policy policies law laws vote voters election elections
        democracy political politics party parties congress parliament state regulation
        regulations minister citizens rights legislation""",
    "psychology": """mind mental emotion emotions behavior behaviour memory cognitive
        perception anxiety motivation habit habits brain learning stress personality
        attention""",
    "philosophy": """truth ethics moral morality virtue knowledge reason existence
        meaning consciousness metaphysics logic argument justice freedom philosopher""",
    "physics": """energy force mass particle particles quantum gravity light velocity
        motion physics atom atoms electron field wave waves temperature heat""",
    "environment": """climate carbon emissions pollution forest forests ocean oceans
        warming renewable fossil biodiversity conservation soil water drought""",
    "history": """war wars empire century centuries ancient medieval revolution king
        kingdom dynasty colonial historian history battle treaty""",
    "arts": """art artist artists painting music musician novel poem poetry poet story
        stories literature film theatre theater song songs author character""",
    "cooking": """bread dough flour yeast oven bake baking recipe salt sugar butter
        cook cooking kitchen loaf starter knead crust taste flavor flavour ingredient""",
    "sports": """game games team teams player players match season coach league score
        goal goals football tennis athlete training championship""",
    "education": """school schools student students teacher teachers classroom
        curriculum education lesson lessons exam exams university""",
}


@dataclass(frozen=True)
class DomainLabel:
    domain: str
    confidence: float

    def to_dict(self) -> dict[str, object]:
        return {"primaryDomain": self.domain, "confidence": self.confidence}


@lru_cache(maxsize=1)
def seed_index() -> dict[str, str]:
    """stem → domain; a stem claimed by two domains belongs to the first listed."""
    index: dict[str, str] = {}
    for domain, words in SEEDS.items():
        for word in words.split():
            index.setdefault(stem(word), domain)
    return index


def hits_of(stems: Counter[str]) -> Counter[str]:
    """Seed hits per domain of a text given the counts of its content-word stems."""
    index = seed_index()
    hits: Counter[str] = Counter()
    for s, n in stems.items():
        domain = index.get(s)
        if domain:
            hits[domain] += n
    return hits


def label(stems: Counter[str], document: Counter[str] | None = None) -> DomainLabel:
    """The domain of a passage given the counts of its content-word stems, and the seed
    hits of its whole document (:func:`hits_of`): those add ``DOCUMENT_PRIOR`` hits
    shared out in the document's proportions. A field belongs to a document more than
    to a paragraph: one paragraph of an essay on remote work that says "team" twice is
    not about sports, while a passage with strong evidence of its own keeps its field."""
    hits: dict[str, float] = {d: float(n) for d, n in hits_of(stems).items()}
    total = sum(hits.values())
    whole = sum(document.values()) if document else 0
    if document and whole >= MIN_HITS:
        for domain, n in document.items():
            hits[domain] = hits.get(domain, 0.0) + DOCUMENT_PRIOR * n / whole
        total += DOCUMENT_PRIOR
    if total < MIN_HITS:
        return DomainLabel(GENERAL, 0.0)
    order = list(SEEDS)
    best = sorted(hits.items(), key=lambda kv: (-kv[1], order.index(kv[0])))[0]
    return DomainLabel(best[0], round(best[1] / total, 4))
