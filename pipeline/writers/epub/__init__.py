"""The EPUB edition (book.py, its package in package.py) and its Kobo variant (kepub.py, kobo.py)."""
