"""Reading a PDF's ToUnicode maps back (ISO 32000-1, 9.10.3), as the missing-glyph warnings do."""

from __future__ import annotations

from pipeline.check.pdf_tags import _unicode_map


def test_a_to_unicode_map_is_read_from_its_bfchar_and_both_kinds_of_bfrange():
    cmap = (b"2 beginbfchar\n<0e19> <d808dc00>\n<0003> <0020>\nendbfchar\n"
            b"2 beginbfrange\n<0010> <0012> <0061>\n<0020> <0021> [<00660069> <1230>]\nendbfrange\nendcmap")
    assert _unicode_map(cmap) == {0x0E19: "𒀀", 0x0003: " ", 0x10: "a", 0x11: "b", 0x12: "c",
                                  0x20: "fi", 0x21: "ሰ"}
