"""The PDF editions: the book (book.py), its HTML, layout, parts and join, and its variants as siblings."""
