"""The ebook's cover as a JPEG, for store uploads that take no PNG.

KDP's ebook cover upload takes JPEG or TIFF only ("Kindle Direct Publishing: Cover Image Guidelines",
https://kdp.amazon.com/en_US/help/topic/G6GTK3T3NUHKLEFX: 1600 x 2560 px recommended, ratio 1.6:1). The
cover is the EPUB's (pipeline/writers/shared/cover.py: the source's own image, else the drawn one at
1600 x 2560), flattened to RGB and written as a baseline JPEG with no metadata, so the same cover always
gives the same bytes.
"""

from __future__ import annotations

import io

from pipeline.document import Document
from pipeline.writers.shared.cover import cover_image

QUALITY = 92


def render(document: Document, companions: dict | None = None) -> bytes:
    """The cover of `document` as JPEG bytes."""
    from PIL import Image

    cover = cover_image(document)
    picture = Image.open(io.BytesIO(cover.data)).convert("RGB")
    output = io.BytesIO()
    picture.save(output, format="JPEG", quality=QUALITY, optimize=True)
    return output.getvalue()
