"""The preview servers: the capsule over real Gemini (serve/capsule.py) and the web site over HTTP (serve/web.py)."""
