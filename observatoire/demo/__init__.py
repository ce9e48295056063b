"""Demo extract generator: realistic, deterministic extracts of the six sources (see docs/demo.md)."""

from observatoire.demo.generator import generate

__all__ = ["generate"]
