"""Docstrings as HTML: inline code, emphasis and paragraphs; everything else stays text.

Inline code is reST's ````code```` or Markdown's ```code```, emphasis ``*em*`` and
``**strong**``; paragraphs are separated by blank lines. All text is escaped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

__all__ = ["inline", "paragraphs"]

_INLINE = re.compile(
    r"``(?P<literal>.+?)``"
    r"|`(?P<code>[^`]+)`"
    r"|\*\*(?P<strong>[^\s*](?:[^*]*[^\s*])?)\*\*"
    r"|\*(?P<em>[^\s*](?:[^*]*[^\s*])?)\*"
)
_TAGS = {"literal": "code", "code": "code", "strong": "strong", "em": "em"}
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def inline(text: str) -> Markup:
    """``text`` escaped, with its inline code and emphasis as HTML elements."""
    parts: list[Markup] = []
    end = 0
    for match in _INLINE.finditer(text):
        kind = str(match.lastgroup)
        parts.append(escape(text[end : match.start()]))
        parts.append(Markup("<{0}>{1}</{0}>").format(_TAGS[kind], match[kind]))
        end = match.end()
    parts.append(escape(text[end:]))
    return Markup("").join(parts)


def paragraphs(text: str) -> Markup:
    """``text`` as ``<p>`` elements of `inline` HTML, one per blank-line separated paragraph."""
    cleaned = (" ".join(paragraph.split()) for paragraph in _BLANK_LINE.split(text))
    return Markup("").join(Markup("<p>{}</p>").format(inline(each)) for each in cleaned if each)
