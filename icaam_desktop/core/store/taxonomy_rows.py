"""The retailer taxonomy in the workspace: stored as rows, rebuilt into a ``Taxonomy``."""

from __future__ import annotations

from pathlib import Path

from icaam_desktop.core.store.base import WorkspaceBase, from_json, now_utc, to_json
from icaam_desktop.core.taxonomy import AttributeOption, AttributeSpec, Category, Taxonomy

META_ACTIVE_TAXONOMY = "active_taxonomy"


class TaxonomySection(WorkspaceBase):
    _taxonomy_cache: tuple[str, str, Taxonomy] | None = None

    def import_taxonomy(self, taxonomy: Taxonomy) -> str:
        """Store ``taxonomy`` (replacing an earlier import with the same fingerprint), make it active.

        Returns its fingerprint. The rows keep file order, so the rebuilt taxonomy
        lists attributes, options and assignments in the order the PIM export had.
        """
        fp = taxonomy.fingerprint
        with self.transaction() as conn:
            conn.execute("DELETE FROM taxonomies WHERE fingerprint = ?", (fp,))
            conn.execute(
                "INSERT INTO taxonomies (fingerprint, root, source, imported_at) VALUES (?, ?, ?, ?)",
                (fp, taxonomy.root, str(taxonomy.source) if taxonomy.source else None, now_utc()),
            )
            conn.executemany(
                "INSERT INTO tax_categories (fingerprint, ord, code, parent, labels) VALUES (?, ?, ?, ?, ?)",
                [(fp, i, c.code, c.parent, to_json(c.labels)) for i, c in enumerate(taxonomy.categories.values())],
            )
            conn.executemany(
                "INSERT INTO tax_attributes (fingerprint, ord, code, type, labels, unit) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (fp, i, a.code, a.type, to_json(a.labels), a.unit)
                    for i, a in enumerate(taxonomy.attributes.values())
                ],
            )
            conn.executemany(
                "INSERT INTO tax_options (fingerprint, attribute, ord, code, labels) VALUES (?, ?, ?, ?, ?)",
                [
                    (fp, a.code, i, o.code, to_json(o.labels))
                    for a in taxonomy.attributes.values()
                    for i, o in enumerate(a.options)
                ],
            )
            conn.executemany(
                "INSERT INTO tax_assignments (fingerprint, ord, category, attribute, required) VALUES (?, ?, ?, ?, ?)",
                [
                    (fp, i, cat, attr, int(req))
                    for i, (cat, attr, req) in enumerate(
                        (cat, attr, req) for cat, attrs in taxonomy.assignments.items() for attr, req in attrs.items()
                    )
                ],
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (META_ACTIVE_TAXONOMY, fp),
            )
            self._audit(
                "taxonomy_imported",
                fingerprint=fp,
                source=str(taxonomy.source) if taxonomy.source else None,
                categories=len(taxonomy.categories),
                attributes=len(taxonomy.attributes),
            )
        self._taxonomy_cache = None
        return fp

    def taxonomy(self) -> Taxonomy | None:
        """The active taxonomy rebuilt from its rows (cached until it changes), or None if none was imported."""
        fp = self.get_meta(META_ACTIVE_TAXONOMY)
        if fp is None:
            return None
        head = self.conn.execute("SELECT root, source, imported_at FROM taxonomies WHERE fingerprint = ?", (fp,))
        row = head.fetchone()
        if row is None:
            return None
        root, source, imported_at = row
        if self._taxonomy_cache and self._taxonomy_cache[:2] == (fp, imported_at):
            return self._taxonomy_cache[2]
        taxonomy = self._rebuild_taxonomy(fp, root, source)
        self._taxonomy_cache = (fp, imported_at, taxonomy)
        return taxonomy

    def _rebuild_taxonomy(self, fp: str, root: str, source: str | None) -> Taxonomy:
        conn = self.conn
        raw = [
            (code, parent, from_json(labels, {}))
            for code, parent, labels in conn.execute(
                "SELECT code, parent, labels FROM tax_categories WHERE fingerprint = ? ORDER BY ord", (fp,)
            )
        ]
        parents = {code: parent for code, parent, _ in raw}

        def path_of(code: str) -> tuple[str, ...]:
            chain: list[str] = []
            current: str | None = code
            while current is not None and current != root:
                chain.append(current)
                current = parents[current]
            return tuple(reversed(chain))

        categories = {}
        for code, parent, labels in raw:
            path = path_of(code)
            categories[code] = Category(code=code, parent=parent, labels=labels, depth=len(path), path=path)
        attributes = {
            code: AttributeSpec(code=code, type=type_, labels=from_json(labels, {}), unit=unit)
            for code, type_, labels, unit in conn.execute(
                "SELECT code, type, labels, unit FROM tax_attributes WHERE fingerprint = ? ORDER BY ord", (fp,)
            )
        }
        for attribute, code, labels in conn.execute(
            "SELECT o.attribute, o.code, o.labels FROM tax_options o "
            "JOIN tax_attributes a ON a.fingerprint = o.fingerprint AND a.code = o.attribute "
            "WHERE o.fingerprint = ? ORDER BY a.ord, o.ord",
            (fp,),
        ):
            attributes[attribute].options.append(AttributeOption(code=code, labels=from_json(labels, {})))
        assignments: dict[str, dict[str, bool]] = {}
        for category, attribute, required in conn.execute(
            "SELECT category, attribute, required FROM tax_assignments WHERE fingerprint = ? ORDER BY ord", (fp,)
        ):
            assignments.setdefault(category, {})[attribute] = bool(required)
        return Taxonomy(
            categories=categories,
            attributes=attributes,
            assignments=assignments,
            root=root,
            source=Path(source) if source else None,
        )
