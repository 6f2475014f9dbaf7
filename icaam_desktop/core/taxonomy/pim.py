"""Import a PIM (Akeneo-style) schema export: four semicolon-separated CSV files."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from icaam_desktop.core.errors import IcaamError
from icaam_desktop.core.taxonomy.model import (
    AttributeOption,
    AttributeSpec,
    Category,
    Taxonomy,
)

CATEGORIES = "categories.csv"
ATTRIBUTES = "attributes.csv"
OPTIONS = "attribute_options.csv"
CATEGORY_ATTRIBUTES = "category_attributes.csv"
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "x"})


@dataclass(frozen=True)
class TaxonomyIssue:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class TaxonomyError(IcaamError, ValueError):
    """The schema export is invalid; ``issues`` names each problem by file and line."""

    def __init__(self, issues: list[TaxonomyIssue]) -> None:
        self.issues = issues
        super().__init__("invalid taxonomy:\n" + "\n".join(f"  {i}" for i in issues))


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) with whitespace-stripped values; BOM tolerated."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header_line = handle.readline()
        delimiter = ";" if ";" in header_line else ("\t" if "\t" in header_line else ",")
        handle.seek(0)
        reader = csv.DictReader(handle, delimiter=delimiter)
        for row in reader:
            clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
            if any(clean.values()):
                yield reader.line_num, clean


def _labels(row: dict[str, str]) -> dict[str, str]:
    return {k[len("label-") :]: v for k, v in row.items() if k.startswith("label-") and v}


def load_taxonomy(folder: str | Path) -> Taxonomy:
    """Read and validate a PIM export folder; raise TaxonomyError listing every problem."""
    folder = Path(folder)
    issues: list[TaxonomyIssue] = []
    missing = [name for name in (CATEGORIES, ATTRIBUTES) if not (folder / name).is_file()]
    if missing:
        raise TaxonomyError([TaxonomyIssue(name, 0, f"file not found in {folder}") for name in missing])

    raw_cats, cat_lines = _read_categories(folder / CATEGORIES, issues)
    attributes = _read_attributes(folder / ATTRIBUTES, issues)
    if (folder / OPTIONS).is_file():
        _read_options(folder / OPTIONS, attributes, issues)
    categories, root = _build_tree(raw_cats, cat_lines, issues)
    assignments: dict[str, dict[str, bool]] = {}
    if (folder / CATEGORY_ATTRIBUTES).is_file():
        assignments = _read_assignments(folder / CATEGORY_ATTRIBUTES, raw_cats, attributes, issues)
    if issues:
        raise TaxonomyError(issues)
    return Taxonomy(categories=categories, attributes=attributes, assignments=assignments, root=root, source=folder)


def _read_categories(path: Path, issues: list[TaxonomyIssue]):
    raw: dict[str, tuple[str | None, dict[str, str]]] = {}
    lines: dict[str, int] = {}
    for line, row in _rows(path):
        code = row.get("code", "")
        if not code:
            issues.append(TaxonomyIssue(path.name, line, "category without a code"))
            continue
        if code in raw:
            issues.append(
                TaxonomyIssue(path.name, line, f"duplicate category code {code!r} (first on line {lines[code]})")
            )
            continue
        raw[code] = (row.get("parent") or None, _labels(row))
        lines[code] = line
    return raw, lines


def _build_tree(raw, lines, issues: list[TaxonomyIssue]) -> tuple[dict[str, Category], str]:
    name = CATEGORIES
    roots = [code for code, (parent, _) in raw.items() if parent is None]
    for code, (parent, _) in raw.items():
        if parent is not None and parent not in raw:
            issues.append(TaxonomyIssue(name, lines[code], f"category {code!r} has unknown parent {parent!r}"))
    # Walk each chain upwards; a chain that revisits a code is a cycle.
    reported: set[str] = set()
    for code in raw:
        seen: list[str] = []
        current: str | None = code
        while current is not None and current in raw and current not in seen:
            seen.append(current)
            current = raw[current][0]
        if current is not None and current in seen:
            cycle = seen[seen.index(current) :]
            if not reported.intersection(cycle):
                reported.update(cycle)
                chain = " -> ".join([*cycle, current])
                issues.append(TaxonomyIssue(name, lines[current], f"cycle in the category tree: {chain}"))
    if len(roots) != 1:
        where = ", ".join(f"{r!r} (line {lines[r]})" for r in roots) or "none"
        issues.append(TaxonomyIssue(name, 1, f"expected exactly one root category (empty parent), found {where}"))
    if issues:
        return {}, ""
    root = roots[0]
    categories: dict[str, Category] = {}

    def path_of(code: str) -> tuple[str, ...]:
        chain = []
        current: str | None = code
        while current is not None and current != root:
            chain.append(current)
            current = raw[current][0]
        return tuple(reversed(chain))

    for code, (parent, labels) in raw.items():
        path = path_of(code)
        categories[code] = Category(code=code, parent=parent, labels=labels, depth=len(path), path=path)
    return categories, root


def _read_attributes(path: Path, issues: list[TaxonomyIssue]) -> dict[str, AttributeSpec]:
    attributes: dict[str, AttributeSpec] = {}
    for line, row in _rows(path):
        code = row.get("code", "")
        if not code:
            issues.append(TaxonomyIssue(path.name, line, "attribute without a code"))
        elif code in attributes:
            issues.append(TaxonomyIssue(path.name, line, f"duplicate attribute code {code!r}"))
        else:
            attributes[code] = AttributeSpec(
                code=code, type=row.get("type", ""), labels=_labels(row), unit=row.get("unit", "")
            )
    return attributes


def _read_options(path: Path, attributes: dict[str, AttributeSpec], issues: list[TaxonomyIssue]) -> None:
    seen: set[tuple[str, str]] = set()
    for line, row in _rows(path):
        attribute, code = row.get("attribute", ""), row.get("code", "")
        if attribute not in attributes:
            issues.append(TaxonomyIssue(path.name, line, f"option {code!r} for unknown attribute {attribute!r}"))
        elif (attribute, code) in seen:
            issues.append(TaxonomyIssue(path.name, line, f"duplicate option {code!r} of attribute {attribute!r}"))
        elif not code:
            issues.append(TaxonomyIssue(path.name, line, f"option without a code for attribute {attribute!r}"))
        else:
            seen.add((attribute, code))
            attributes[attribute].options.append(AttributeOption(code=code, labels=_labels(row)))


def _read_assignments(path, raw_cats, attributes, issues) -> dict[str, dict[str, bool]]:
    assignments: dict[str, dict[str, bool]] = {}
    for line, row in _rows(path):
        category, attribute = row.get("category", ""), row.get("attribute", "")
        required = row.get("required", "").lower() in TRUE_WORDS
        if category not in raw_cats:
            issues.append(TaxonomyIssue(path.name, line, f"unknown category {category!r}"))
        elif attribute not in attributes:
            kind = "required attribute" if required else "attribute"
            issues.append(TaxonomyIssue(path.name, line, f"{kind} {attribute!r} of {category!r} does not exist"))
        else:
            assignments.setdefault(category, {})[attribute] = required
    return assignments
