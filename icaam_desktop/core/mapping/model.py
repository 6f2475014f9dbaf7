"""Mapping results shared by the mapper, the store, export and the GUI."""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCE_MODEL = "model"
SOURCE_MEMORY = "memory"
SOURCE_ANALYST = "analyst"


@dataclass
class ColumnMatch:
    """One supplier column mapped to one retailer attribute (``attribute`` None = no counterpart).

    A column that feeds two attributes (fabric for clothes, material for shoes) gives two matches.
    """

    supplier_column: str
    attribute: str | None
    confidence: float
    reasons: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    source: str = SOURCE_MODEL


@dataclass
class ValueMatch:
    """One distinct supplier value of a column mapped to an option code (None = unmapped)."""

    attribute: str
    supplier_value: str
    option_code: str | None
    confidence: float
    reasons: list[str] = field(default_factory=list)
    source: str = SOURCE_MODEL


@dataclass
class SupplierMemory:
    """The analyst's accepted mappings for one supplier, tried first next time."""

    supplier: str
    columns: dict[str, list[str]] = field(default_factory=dict)  # column -> attributes ([] = none)
    values: dict[tuple[str, str], str] = field(default_factory=dict)  # (attribute, supplier value) -> option
