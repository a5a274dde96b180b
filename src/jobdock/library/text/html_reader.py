"""HTML/XHTML → Markdown-ish text: the article, not the page furniture around it.

Used for web pages and EPUB chapters. Headings become ``#`` lines so the chunker can
follow the document's structure; lists become ``- `` items; everything else is a
paragraph. Inline markup is flattened to its text.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

BOILERPLATE = ("script, style, noscript, template, nav, header, footer, aside, form, "
               "iframe, svg, button, select, [role=navigation], [role=banner], "
               "[role=contentinfo], [aria-hidden=true]")
HEADINGS = {f"h{n}": n for n in range(1, 7)}
LEAF_BLOCKS = {"p", "dt", "dd", "figcaption", "caption", "td", "th", "summary", "address"}
CONTAINERS = {"div", "section", "article", "main", "body", "figure", "details", "table",
              "thead", "tbody", "tfoot", "tr", "dl", "center", "hgroup", "html", "span"}
LISTS = {"ul", "ol"}
SPACES = re.compile(r"\s+")


def html_to_markdown(html: str) -> tuple[str | None, str]:
    """Return ``(title, markdown)`` for one HTML document."""
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = _clean(title_node.text()) if title_node is not None else None
    for node in tree.css(BOILERPLATE):
        node.decompose()
    for node in tree.css("br"):
        node.replace_with("\n")
    root = tree.css_first("article") or tree.css_first("main") or tree.body or tree.root
    blocks: list[str] = []
    if root is not None:
        _walk(root, blocks, depth=0)
    h1 = next((b[2:] for b in blocks if b.startswith("# ")), None)
    # "<title>Article | Site</title>": prefer the article's own h1 when the title contains it.
    if h1 and (not title or h1 in title):
        title = h1
    return title or None, "\n\n".join(blocks)


def _clean(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def _walk(node: LexborNode, blocks: list[str], depth: int) -> None:
    """Emit the blocks under ``node``; loose inline text between blocks is a paragraph."""
    inline: list[str] = []
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag is None or tag == "-text" or not _is_block(tag):
            inline.append(child.text(deep=True) or "")
            continue
        _flush(inline, blocks)
        _emit_block(child, tag, blocks, depth)
    _flush(inline, blocks)


def _is_block(tag: str | None) -> bool:
    return bool(tag) and (tag in HEADINGS or tag in LEAF_BLOCKS or tag in CONTAINERS
                          or tag in LISTS or tag in ("li", "pre", "blockquote", "hr"))


def _flush(inline: list[str], blocks: list[str]) -> None:
    text = _clean("".join(inline))
    if text:
        blocks.append(text)
    inline.clear()


def _emit_block(node: LexborNode, tag: str, blocks: list[str], depth: int) -> None:
    if tag in HEADINGS:
        text = _clean(node.text(deep=True) or "")
        if text:
            blocks.append("#" * HEADINGS[tag] + " " + text)
    elif tag in LISTS or tag == "li":
        items: list[str] = []
        _list_items(node, items, depth)
        if items:
            blocks.append("\n".join(items))
    elif tag == "pre":
        code = (node.text(deep=True) or "").strip("\n")
        if code.strip():
            blocks.append(f"```\n{code}\n```")
    elif tag == "blockquote":
        _emit_quote(node, blocks, depth)
    elif tag in LEAF_BLOCKS:
        _flush([node.text(deep=True) or ""], blocks)
    elif tag != "hr":
        _walk(node, blocks, depth)


def _emit_quote(node: LexborNode, blocks: list[str], depth: int) -> None:
    inner: list[str] = []
    _walk(node, inner, depth)
    if inner:
        blocks.append("\n>\n".join("> " + b.replace("\n", "\n> ") for b in inner))


def _list_items(node: LexborNode, items: list[str], depth: int) -> None:
    """``- item`` lines, nested lists indented by two spaces per level."""
    if node.tag == "li":
        own = "".join(c.text(deep=True) or "" for c in node.iter(include_text=True)
                      if c.tag not in LISTS)
        text = _clean(own)
        if text:
            items.append("  " * depth + "- " + text)
        for child in node.iter():
            if child.tag in LISTS:
                _list_items(child, items, depth + 1)
        return
    for child in node.iter():
        if child.tag == "li" or child.tag in LISTS:
            _list_items(child, items, depth)
