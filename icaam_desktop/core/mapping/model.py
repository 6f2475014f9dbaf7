"""Mapping results shared by the mapper, the store, export and the GUI."""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCE_MODEL = "model"
SOURCE_MEMORY = "memory"
SOURCE_ANALYST = "analyst"
ACCEPTED_REASON = "accepted by the analyst"  # the reason shown for an analyst's mapping


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


OTHER_TARGET_NOTE = "an option of this column's other attribute"
CONVERTED_NOTE = "converted from"  # a price column in another currency: every price is converted, to check


@dataclass
class ValueMatch:
    """One distinct supplier value of a column mapped to an option code (None = unmapped)."""

    attribute: str
    supplier_value: str
    option_code: str | None
    confidence: float
    reasons: list[str] = field(default_factory=list)
    source: str = SOURCE_MODEL

    @property
    def fits_other_attribute(self) -> bool:
        """Unmapped here, but an option of the other attribute its two-attribute column feeds (e.g. a shoe's
        "leather" under fabric, when the column also feeds material): not a problem of this attribute."""
        return self.option_code is None and bool(self.reasons) and self.reasons[0].startswith(OTHER_TARGET_NOTE)


@dataclass
class SupplierMemory:
    """The analyst's accepted mappings for one supplier, tried first next time."""

    supplier: str
    columns: dict[str, list[str]] = field(default_factory=dict)  # column -> attributes ([] = none)
    values: dict[tuple[str, str], str] = field(default_factory=dict)  # (attribute, supplier value) -> option


@dataclass
class ProductMapping:
    """One product's values for its category's attributes, in the retailer's terms."""

    product_id: str
    category: str | None
    values: dict[str, str] = field(default_factory=dict)  # attribute -> option code / number / text
    missing_required: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class MappingResult:
    """What ``map_delivery`` found: column matches, value matches and per-product values."""

    columns: list[ColumnMatch] = field(default_factory=list)
    values: list[ValueMatch] = field(default_factory=list)
    products: dict[str, ProductMapping] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # delivery-level notes, e.g. no embedding model
    # Columns with nothing to match: empty, image/file names, or set to "no counterpart" by the analyst before.
    quiet_columns: set[str] = field(default_factory=set)

    def attributes_of(self, column: str) -> list[str]:
        """The attributes ``column`` feeds ([] = no counterpart)."""
        return [m.attribute for m in self.columns if m.supplier_column == column and m.attribute]
