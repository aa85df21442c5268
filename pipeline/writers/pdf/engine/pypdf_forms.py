"""New indirect objects in a pypdf writer: the booklet's page forms and the drawings that place them.

pypdf 7 has no public call that adds a stream of one's own making as an indirect object (streams
must be indirect, ISO 32000-1 7.3.8); its writer does it for itself with `PdfWriter._add_object`,
which the booklet (pipeline/writers/pdf/impose.py) uses to turn each book page into a form XObject
drawn twice-up on a sheet: half a second for 450 pages, where pypdf's public
`PageObject.merge_transformed_page` took 24 s. `usable()` checks once per process that the
installed pypdf still adds an object that way; without it the booklet merges pages the public way.
(Reach `pypdf_forms`.)
"""

from __future__ import annotations

from functools import lru_cache

from pipeline.writers.pdf.engine import reach_on


@lru_cache(maxsize=1)
def usable() -> bool:
    """Whether `add_object` works with the installed pypdf (and CHAPBOOK_ENGINE leaves the reach on)."""
    if not reach_on("pypdf_forms"):
        return False
    from pypdf import PdfWriter
    from pypdf.generic import IndirectObject, StreamObject

    writer = PdfWriter()
    stream = StreamObject()
    try:
        reference = writer._add_object(stream)
    except Exception:  # noqa: BLE001 - any other shape of pypdf: the public way
        return False
    return isinstance(reference, IndirectObject) and reference.get_object() is stream \
        and writer.get_object(reference.idnum) is stream


def add_object(writer, obj):
    """`obj` added to pypdf `writer` as an indirect object; the reference to it. Only when `usable()`."""
    return writer._add_object(obj)
