"""Small wording helpers shared by the window's views."""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``counted(1, "product")`` -> "1 product"; ``counted(3, "product")`` -> "3 products"."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"
