"""Demo extract generator: realistic, deterministic extracts of the six sources (see docs/demo.md)."""

from .generator import generate

__all__ = ["generate"]
