"""The retailer's schema: a category tree plus attribute specs per category."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

DEFAULT_LOCALE = "en_US"

IDENTIFIER_TYPE = "pim_catalog_identifier"
SELECT_TYPES = frozenset({"pim_catalog_simpleselect", "pim_catalog_multiselect"})
NUMBER_TYPES = frozenset({"pim_catalog_number", "pim_catalog_price_collection", "pim_catalog_metric"})
TEXT_TYPES = frozenset({"pim_catalog_text", "pim_catalog_textarea"})


def pick_label(labels: dict[str, str], code: str, locale: str = DEFAULT_LOCALE) -> str:
    """The label in ``locale``, else any label, else the code itself."""
    if labels.get(locale):
        return labels[locale]
    for value in labels.values():
        if value:
            return value
    return code


@dataclass(frozen=True)
class Category:
    code: str
    parent: str | None
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    depth: int = 0
    # Codes from level 1 (the level under the root) down to this category.
    path: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return pick_label(self.labels, self.code)


@dataclass(frozen=True)
class AttributeOption:
    code: str
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return pick_label(self.labels, self.code)


@dataclass
class AttributeSpec:
    code: str
    type: str
    labels: dict[str, str] = field(default_factory=dict)
    unit: str = ""
    options: list[AttributeOption] = field(default_factory=list)

    @property
    def label(self) -> str:
        return pick_label(self.labels, self.code)

    @property
    def is_select(self) -> bool:
        return self.type in SELECT_TYPES

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES

    @property
    def is_identifier(self) -> bool:
        return self.type == IDENTIFIER_TYPE

    def option(self, code: str) -> AttributeOption | None:
        return self._options_by_code.get(code)

    @cached_property
    def _options_by_code(self) -> dict[str, AttributeOption]:
        return {o.code: o for o in self.options}


@dataclass(frozen=True)
class CategoryAttribute:
    attribute: AttributeSpec
    required: bool


@dataclass
class Taxonomy:
    """A validated category tree and the attributes each category needs."""

    categories: dict[str, Category]
    attributes: dict[str, AttributeSpec]
    # Attribute assignments made directly on a category: code -> {attribute: required}.
    assignments: dict[str, dict[str, bool]]
    root: str
    source: Path | None = None

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {code: [] for code in self.categories}
        for cat in self.categories.values():
            if cat.parent is not None:
                children[cat.parent].append(cat.code)
        return children

    def children(self, code: str) -> list[str]:
        return self._children[code]

    def is_leaf(self, code: str) -> bool:
        return not self._children[code]

    def leaves(self) -> list[Category]:
        return [c for c in self.categories.values() if self.is_leaf(c.code) and c.code != self.root]

    @cached_property
    def max_depth(self) -> int:
        return max((c.depth for c in self.categories.values()), default=0)

    def level(self, depth: int) -> list[Category]:
        """Categories at ``depth`` (1 = the level under the root)."""
        return [c for c in self.categories.values() if c.depth == depth]

    def label_of(self, code: str) -> str:
        """The category's display label, or the code itself when the tree does not have it."""
        category = self.categories.get(code)
        return category.label if category is not None else code

    def path_label(self, code: str, *, sep: str = " > ") -> str:
        """``Footwear > Shoes > Casual Shoes``: the labels from level 1 down to ``code``."""
        category = self.categories.get(code)
        return sep.join(self.label_of(c) for c in category.path) if category is not None else code

    def ancestors(self, code: str) -> tuple[str, ...]:
        """Level-1 .. ``code`` (the root excluded)."""
        return self.categories[code].path

    def subtree(self, code: str) -> list[str]:
        """``code`` and all its descendants, depth-first."""
        out, stack = [], [code]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(reversed(self._children[current]))
        return out

    def attributes_for(self, code: str) -> list[CategoryAttribute]:
        """The attributes of ``code``, inherited down the tree; the nearest assignment wins."""
        merged: dict[str, bool] = {}
        for ancestor in (self.root, *self.categories[code].path):
            merged.update(self.assignments.get(ancestor, {}))
        return [CategoryAttribute(self.attributes[a], req) for a, req in merged.items()]

    def required_attributes(self, code: str) -> list[AttributeSpec]:
        return [ca.attribute for ca in self.attributes_for(code) if ca.required]

    @cached_property
    def identifier(self) -> AttributeSpec | None:
        """The retailer's identifier attribute (``sku`` in Akeneo)."""
        return next((a for a in self.attributes.values() if a.is_identifier), None)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the tree's shape: models trained on one tree refuse another."""
        digest = hashlib.sha256()
        for cat in sorted(self.categories.values(), key=lambda c: c.code):
            digest.update(f"{cat.code}\t{cat.parent or ''}\n".encode())
        return digest.hexdigest()[:16]
