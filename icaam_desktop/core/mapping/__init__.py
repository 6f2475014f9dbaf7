"""Column matching, value normalisation and supplier memory: supplier sheets onto the retailer's attributes.

The result types import cheaply (the store and the GUI need them at start-up); ``map_delivery`` and the
other entry points are imported on first use because they pull in scipy and rapidfuzz.
"""

from importlib import import_module

from icaam_desktop.core.mapping.model import (
    SOURCE_ANALYST,
    SOURCE_MEMORY,
    SOURCE_MODEL,
    ColumnMatch,
    MappingResult,
    ProductMapping,
    SupplierMemory,
    ValueMatch,
)

_LAZY = {
    "map_delivery": "mapper",
    "refill_products": "products",
    "normalise_value": "values",
    "parse_number": "numbers",
    "parse_year": "numbers",
    "convert_price": "numbers",
    "ParsedNumber": "numbers",
    "TextEmbedder": "embeddings",
    "SentenceEmbedder": "embeddings",
    "EmbeddingModelError": "embeddings",
    "default_embedder": "embeddings",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f"icaam_desktop.core.mapping.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'icaam_desktop.core.mapping' has no attribute {name!r}")


__all__ = [
    "SOURCE_ANALYST",
    "SOURCE_MEMORY",
    "SOURCE_MODEL",
    "ColumnMatch",
    "MappingResult",
    "ProductMapping",
    "SupplierMemory",
    "ValueMatch",
    *_LAZY,
]
