"""The one door to other libraries' private parts, used by the PDF editions.

Each reach is verified against the versions in pyproject.toml's upper bounds, checks itself at start and
falls back to the public API.
"""
