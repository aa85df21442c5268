"""Words: how text is measured and shown (display widths, sizes, terminal-safe text), slugs, language tags."""
