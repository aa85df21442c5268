"""chapbook: one Markdown essay in, an EPUB, a PDF, plain text and a Gemini capsule out."""

__version__ = "0.1.0"
