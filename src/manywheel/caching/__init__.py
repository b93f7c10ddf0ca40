"""Caches: repaired wheels (with the inputs that prove a hit) and compiled objects (ccache)."""
