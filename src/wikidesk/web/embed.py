"""Embedding in a helpdesk ticket form: widget script, suggestions, iframe chat, CORS."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the embedding routes and the CORS hook (filled in by the embedding work)."""
