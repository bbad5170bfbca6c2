"""Turn an HTML element into plain text an SFT row can hold: paragraphs kept, code kept as Markdown fences,
inline markup flattened, entities decoded, scripts and styles dropped."""

from __future__ import annotations

import re

from bs4 import NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
         "button", "input", "select", "textarea", "form", "head"}
_BLOCK = {"p", "div", "section", "article", "header", "footer", "aside", "main", "nav", "blockquote",
          "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "ul", "ol", "dl", "dt", "dd", "figure",
          "figcaption", "details", "summary", "hr", "address"}
_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_FENCE_MARK = "\x00"  # brackets a code block so that whitespace clean-up leaves it alone


def _code_language(pre: Tag) -> str:
    for node in (pre, pre.find("code")):
        if isinstance(node, Tag):
            for cls in node.get("class") or []:
                if cls.startswith(("lang-", "language-")):
                    return cls.split("-", 1)[1]
    return ""


def _walk(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
            continue
        if isinstance(child, NavigableString):
            out.append(_SPACES.sub(" ", str(child).replace("\n", " ")))
            continue
        if not isinstance(child, Tag) or child.name in _SKIP:
            continue
        name = child.name
        if name == "pre":
            code = child.get_text().strip("\n")
            out.append(_FENCE_MARK + f"```{_code_language(child)}\n{code}\n```" + _FENCE_MARK)
        elif name == "br":
            out.append("\n")
        elif name == "li":
            parent = child.parent
            if isinstance(parent, Tag) and parent.name == "ol":
                number = 1 + sum(1 for s in child.find_previous_siblings("li"))
                out.append(f"\n{number}. ")
            else:
                out.append("\n- ")
            _walk(child, out)
        elif name in ("td", "th"):
            _walk(child, out)
            out.append(" | ")
        elif name == "code":
            out.append(f"`{child.get_text()}`")
        elif name == "img":
            alt = child.get("alt")
            if isinstance(alt, str) and alt.strip():
                out.append(alt.strip())
        elif name in _BLOCK:
            out.append("\n\n")
            _walk(child, out)
            out.append("\n\n")
        else:
            _walk(child, out)


def element_text(node: Tag | None) -> str:
    """Readable text of an element; '' for None."""
    if node is None:
        return ""
    parts: list[str] = []
    if node.name == "pre":
        holder = Tag(name="div")
        holder.append(node.__copy__())
        node = holder
    _walk(node, parts)
    pieces = "".join(parts).split(_FENCE_MARK)
    for i in range(0, len(pieces), 2):  # even pieces are prose, odd ones code
        lines = (line.strip() for line in pieces[i].split("\n"))
        pieces[i] = _BLANKS.sub("\n\n", "\n".join(lines))
    return "\n\n".join(piece.strip("\n") for piece in pieces if piece.strip()).strip()
