"""Integrations of the library: Readwise highlights in, an Obsidian vault out and back.

Pure modules (no database): parsing Readwise exports, the Readwise export API client,
matching highlights to a document's text, re-anchoring annotations after an edit, and
reading and writing notes in a vault safely.
"""
