"""The text a reader sees of a run of inlines, for the editions written as plain characters (text, gemtext).

One walk for both: emphasis, spans and citations give their text as it is (no marks: an asterisk in the
text is the author's, never emphasis), quotes their quotation marks; links, images and notes are
rendered by the edition, which numbers or queues them in its own way.
"""

from __future__ import annotations

from pipeline.ast import Node, stringify

_TEXT_ONLY = ("Emph", "Strong", "Strikeout", "Underline", "Superscript", "Subscript", "SmallCaps")


class PlainInlines:
    """The walk; an edition's renderer subclasses it and says how a link, an image and a note read."""

    quote_marks = {"DoubleQuote": '""', "SingleQuote": "''"}  # opening and closing mark of each kind

    def inline_text(self, inlines: list[Node]) -> str:
        """The reader-visible text of `inlines`."""
        parts: list[str] = []
        for node in inlines:
            kind, content = node.get("t"), node.get("c")
            if kind == "Str":  # most of a book: read here, as stringify would, without a call each
                parts.append(content)
            elif kind in ("Space", "SoftBreak"):
                parts.append(" ")
            elif kind == "Link":
                parts.append(self.link(self.inline_text(content[1]), content[2][0]))
            elif kind == "Image":
                parts.append(self.image(content))
            elif kind == "Note":
                parts.append(self.note(content))
            elif kind in _TEXT_ONLY:
                parts.append(self.inline_text(content))
            elif kind in ("Span", "Cite"):
                parts.append(self.inline_text(content[-1]))
            elif kind == "Quoted":
                marks = self.quote_marks[content[0]["t"]]
                parts.append(marks[0] + self.inline_text(content[1]) + marks[1])
            else:  # line breaks, code, math; raw inline HTML gives nothing
                parts.append(stringify(node))
        return "".join(parts)

    def link(self, label: str, url: str) -> str:
        """How a link with this (rendered) label reads in the running text."""
        raise NotImplementedError

    def image(self, content: list) -> str:
        """How an image (its pandoc content: attributes, alt inlines, target) reads in the running text."""
        raise NotImplementedError

    def note(self, content: list[Node]) -> str:
        """The mark a note (its blocks) leaves in the running text."""
        raise NotImplementedError
