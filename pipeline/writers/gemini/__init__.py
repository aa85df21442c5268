"""The Gemini capsule: its layout and gemlog (capsule.py) and the gemtext renderer (gemtext.py)."""
