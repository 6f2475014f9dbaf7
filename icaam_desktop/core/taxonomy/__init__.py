"""Category tree + attribute schema; PIM-CSV import."""

from icaam_desktop.core.taxonomy.model import (
    AttributeOption,
    AttributeSpec,
    Category,
    CategoryAttribute,
    Taxonomy,
)
from icaam_desktop.core.taxonomy.pim import TaxonomyError, TaxonomyIssue, load_taxonomy

__all__ = [
    "AttributeOption",
    "AttributeSpec",
    "Category",
    "CategoryAttribute",
    "Taxonomy",
    "TaxonomyError",
    "TaxonomyIssue",
    "load_taxonomy",
]
