"""``readwise_import``: Readwise highlights → annotations, review entries or failures.

Input: ``{"source": "file", "file_key": <storage key>, "filename": ...}`` (an uploaded
export) or ``{"source": "api"}`` (the user's token; ``updated_after`` optional, else
where the last API import stopped), and optionally ``document_id`` to match every
highlight against one document (else each goes to the document titled like its book).

Pages of highlights are processed one by one; after each the job saves a cursor (the
next page, the counts so far), so a pause or crash resumes at the next page. Every
write is keyed by the highlight's id (``UNIQUE (user, source, external_id)``), so a page
replayed after a crash, or a whole import run again, adds nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import InvalidInputError, PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.integrations.highlights import Highlight
from jobdock.library.integrations.library_text import ChunkIndex, documents_repo, read_text
from jobdock.library.integrations.matching import locate
from jobdock.library.integrations.readwise_api import (
    DEFAULT_BASE_URL,
    ExportPage,
    ReadwiseClient,
)
from jobdock.library.integrations.readwise_files import parse_export
from jobdock.library.integrations.repo import INTEGRATIONS, IntegrationsRepo
from jobdock.library.rows import DocumentRow

STAGES = (Stage("load", 5), Stage("import", 90), Stage("finish", 5))
FILE_PAGE = 100  # highlights per checkpoint when importing a file
MAX_FAILURES_LISTED = 50
TITLE_MATCH = 90  # rapidfuzz token_sort_ratio for "this book is that document"


def readwise_import(ctx: JobContext) -> dict[str, Any]:
    """Import Readwise highlights as annotations (exact), review entries (fuzzy) or failures."""
    user_id = ctx.job.user_id
    if not user_id:
        raise InvalidInputError("a Readwise import needs the user it imports for")
    source = str(ctx.input.get("source") or "api")
    if source not in ("file", "api"):
        raise InvalidInputError(f"unknown source {source!r} (use file or api)")
    repo: IntegrationsRepo = ctx.service(INTEGRATIONS)
    plan = ctx.run_stage("load", _load, ctx, repo, user_id, source)
    counts = ctx.run_stage("import", _import, ctx, repo, user_id, plan)
    return ctx.run_stage("finish", _finish, repo, user_id, plan, counts)


def _load(ctx: JobContext, repo: IntegrationsRepo, user_id: str,
          source: str) -> dict[str, Any]:
    if source == "file":
        key = ctx.input.get("file_key")
        if not key:
            raise InvalidInputError("a file import needs file_key (the uploaded export)")
        data = ctx.read_file(str(key))
        if data is None:
            raise PermanentError(f"the export file is missing from storage ({key})")
        highlights = parse_export(data, str(ctx.input.get("filename") or key))
        return {"source": "file", "total": len(highlights)}
    if not repo.readwise_token(user_id):
        raise PermanentError("no Readwise token is set: add one in the integration settings")
    settings = repo.settings(user_id)
    after = ctx.input.get("updated_after") or settings.get("readwise_synced_until")
    return {"source": "api", "base_url": settings.get("readwise_base_url") or DEFAULT_BASE_URL,
            "updated_after": after, "started_at": datetime.now(UTC).isoformat()}


def _import(ctx: JobContext, repo: IntegrationsRepo, user_id: str,
            plan: dict[str, Any]) -> dict[str, Any]:
    state = dict(ctx.cursor or {"counts": _zero(), "failures": [], "page": 0, "next": None})
    matcher = Matcher(ctx, repo, user_id, plan["source"],
                      ctx.input.get("document_id"))
    pages = _file_pages(ctx, state) if plan["source"] == "file" else \
        _api_pages(ctx, repo, user_id, plan, state)
    for highlights, following in pages:
        matcher.import_page(highlights, state)
        state["page"] += 1
        state["next"] = following
        done = sum(state["counts"].values())
        ctx.safe_point(details=f"Page {state['page']}: {done} highlights "
                               f"({state['counts']['imported']} imported)", cursor=state)
        if following is None:
            break
    return {"counts": state["counts"], "failures": state["failures"], "pages": state["page"]}


def _file_pages(ctx: JobContext, state: dict[str, Any]) -> Any:
    if state["page"] and state.get("next") is None:
        return  # every page was done before a restart
    data = ctx.read_file(str(ctx.input["file_key"])) or b""
    highlights = parse_export(data, str(ctx.input.get("filename") or ""))
    start = int(state.get("next") or 0)
    for offset in range(start, len(highlights), FILE_PAGE):
        end = offset + FILE_PAGE
        yield highlights[offset:end], (end if end < len(highlights) else None)


def _api_pages(ctx: JobContext, repo: IntegrationsRepo, user_id: str, plan: dict[str, Any],
               state: dict[str, Any]) -> Any:
    if state["page"] and state.get("next") is None:
        return  # every page was done before a restart
    token = repo.readwise_token(user_id) or ""

    def wait(seconds: float) -> None:  # honour Retry-After, interruptibly
        ctx.update_progress(details=f"Readwise asked to wait {seconds:.0f}s")
        ctx.port.sleep(seconds)
        ctx.check_interrupt()

    with ReadwiseClient(token, base_url=plan["base_url"], sleep=wait) as client:
        cursor: str | None = state.get("next")
        while True:
            page = _fetch(ctx, client, cursor, plan["updated_after"])
            yield page.highlights, page.next_cursor
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


def _fetch(ctx: JobContext, client: ReadwiseClient, cursor: str | None,
           updated_after: str | None) -> ExportPage:
    return ctx.with_retry(lambda: client.export_page(cursor, updated_after),
                          what="Readwise export page")


def _finish(repo: IntegrationsRepo, user_id: str, plan: dict[str, Any],
            result: dict[str, Any]) -> dict[str, Any]:
    if plan["source"] == "api":
        repo.set_synced_until(user_id, plan["started_at"])
    counts = result["counts"]
    return {"imported": counts["imported"], "needsReview": counts["needsReview"],
            "failed": counts["failed"], "alreadyImported": counts["alreadyImported"],
            "pages": result["pages"], "failures": result["failures"], "source": plan["source"]}


def _zero() -> dict[str, int]:
    return {"imported": 0, "needsReview": 0, "failed": 0, "alreadyImported": 0}


def _norm_title(title: str) -> str:
    return " ".join(title.lower().split())


class Matcher:
    """Routes one highlight to its document and its place in the text."""

    def __init__(self, ctx: JobContext, repo: IntegrationsRepo, user_id: str, source: str,
                 document_id: str | None) -> None:
        self.ctx = ctx
        self.repo = repo
        self.user_id = user_id
        self.review_source = "readwise_export" if source == "file" else "readwise_api"
        docs = [d for d in repo.documents(user_id) if d.get("markdown_available")]
        if document_id is not None:
            docs = [d for d in docs if d["id"] == document_id]
            if not docs:
                raise PermanentError(f"document {document_id} is not a processed document "
                                     "of this user")
        self.fixed = docs[0] if document_id is not None else None
        self.docs = docs
        self._texts: dict[str, tuple[str, ChunkIndex]] = {}

    def document_for(self, highlight: Highlight) -> DocumentRow | None:
        if self.fixed is not None:
            return self.fixed
        wanted = _norm_title(highlight.book_title)
        if not wanted:
            return None
        exact = [d for d in self.docs if _norm_title(d["title"]) == wanted]
        if exact:
            return exact[0]
        scored = [(fuzz.token_sort_ratio(wanted, _norm_title(d["title"])), d) for d in self.docs]
        best = max(scored, key=lambda s: s[0], default=None)
        return best[1] if best and best[0] >= TITLE_MATCH else None

    def text_of(self, doc: DocumentRow) -> tuple[str, ChunkIndex]:
        if doc["id"] not in self._texts:
            chunks = documents_repo(self.ctx).chunks(doc["id"])
            self._texts[doc["id"]] = (read_text(self.ctx, doc), ChunkIndex(chunks))
        return self._texts[doc["id"]]

    def plan(self, h: Highlight) -> tuple[str, dict[str, Any]]:
        """("annotation", row) for an exact match, ("review", entry) for a fuzzy one,
        ("failed", why) otherwise."""
        doc = self.document_for(h)
        if doc is None:
            return "failed", _failure(h, f"no document in the library is titled like "
                                         f"{h.book_title!r}")
        text, chunks = self.text_of(doc)
        found = locate(h.text, text, near=_estimate(h, chunks))
        if found.method == "exact":
            return "annotation", {
                "user_id": self.user_id, "document_id": doc["id"],
                "start_offset": found.start, "end_offset": found.end,
                "quote": text[found.start:found.end], "note": h.note, "color": h.color,
                "tags": ["readwise-import", *h.tags], "source": "readwise",
                "external_id": h.external_id, "created_at": h.highlighted_at,
                **chunks.ref(found.start)}
        if found.method == "fuzzy":
            return "review", {
                "user_id": self.user_id, "document_id": doc["id"],
                "source": self.review_source, "external_id": h.external_id,
                "highlight": h.to_dict(), "suggested_start": found.start,
                "suggested_end": found.end, "suggested_text": text[found.start:found.end],
                "confidence": found.confidence, "method": "fuzzy"}
        return "failed", _failure(h, found.reason)

    def import_page(self, highlights: list[Highlight], state: dict[str, Any]) -> None:
        """Plan a page, write it in one transaction, add its outcomes to ``state``."""
        plans = [self.plan(h) for h in highlights]
        annotations = [p for kind, p in plans if kind == "annotation"]
        reviews = [p for kind, p in plans if kind == "review"]
        added, queued = self.repo.import_page(annotations, reviews)
        counts = state["counts"]
        counts["imported"] += added
        counts["needsReview"] += queued
        counts["alreadyImported"] += len(annotations) - added + len(reviews) - queued
        for kind, failure in plans:
            if kind == "failed":
                counts["failed"] += 1
                if len(state["failures"]) < MAX_FAILURES_LISTED:
                    state["failures"].append(failure)


def _estimate(h: Highlight, chunks: ChunkIndex) -> int | None:
    """A position hint from the highlight's location, where its type allows one."""
    if h.location is None:
        return None
    if h.location_type == "offset":
        return h.location
    if h.location_type == "page":
        return chunks.page_offset(h.location)
    return None


def _failure(h: Highlight, reason: str) -> dict[str, Any]:
    return {"external_id": h.external_id, "book": h.book_title,
            "text": h.text[:120], "reason": reason}
