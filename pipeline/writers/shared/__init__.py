"""Renderers several writers use (XHTML, tables, wrapping, feeds, posts, the cover, fonts); imports no writer."""
