"""Connections between passages of different documents, found locally.

Enrichment (:mod:`.enrich`) gives each chunk concepts, an importance, a polarity and a
domain; three engines (:mod:`.semantic`, :mod:`.contradiction`, :mod:`.thematic`) find
connections between a document's chunks and the rest of the library (:mod:`.table`).
"""
from jobdock.library.connections.extension import extension

__all__ = ["extension"]
