"""Generated Markdown inside hand-written docs: the text between ``<!-- NAME -->`` and ``<!-- /NAME -->``."""

from __future__ import annotations


def between_markers(text: str, marker: str, body: str, source: object = "the document") -> str:
    """``text`` (read from ``source``, named in the error) with what lies between the ``marker``'s two
    comments replaced by ``body``."""
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    if start not in text or end not in text:
        raise SystemExit(f"{source} has no {start} … {end} markers to write between")
    head, rest = text.split(start, 1)
    return head + start + "\n" + body + "\n" + end + rest.split(end, 1)[1]
