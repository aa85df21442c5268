"""Transforms: small functions Document -> Document, applied in a fixed order after the one read."""

from __future__ import annotations

from pipeline.document import Document
from pipeline.transforms.asterisk_notes import mark_asterisk_notes
from pipeline.transforms.disclaimers import mark_disclaimers
from pipeline.transforms.identifiers import make_ids_unique
from pipeline.transforms.images import collect_images
from pipeline.transforms.list_spacing import space_lists_as_written
from pipeline.transforms.raw_html import clean_raw_html
from pipeline.transforms.section_levels import normalise_section_levels

# Lists are spaced last: the transforms before it read paragraphs (`Para`) where the author wrote them.
TRANSFORMS = (clean_raw_html, collect_images, normalise_section_levels, make_ids_unique, mark_disclaimers,
              mark_asterisk_notes, space_lists_as_written)


def apply_transforms(document: Document) -> Document:
    """Every transform, in order; none of them changes a letter's case or a character of text."""
    for transform in TRANSFORMS:
        document = transform(document)
    return document
