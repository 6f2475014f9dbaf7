"""Export a delivery in the retailer's schema: an Akeneo product CSV the PIM can import.

Layout: ``;``-separated UTF-8 (no BOM), one header row ``sku;categories;<attribute codes>``.
``sku`` is the supplier's product id (the header is the taxonomy's identifier code),
``categories`` the accepted category code, then the union of the attributes of the
exported products' categories, in the taxonomy's attribute order, holding option codes.
Each product only fills the attributes of its own category.

Which products: those with an accepted category (an analyst's choice, or the model's
auto status). Others are skipped with a reason, or, with ``include_unaccepted``,
written too, with a trailing ``status`` column (auto / review / rejected / accepted /
unclassified); a review product then shows the deepest category the model was sure of.

``labels=True`` is the human variant: attribute labels in the header, category labels
and option labels in the cells. It is for people, not for re-import.

Safety:
- OWASP CSV injection: a cell starting with ``=`` ``+`` ``-`` ``@`` tab or CR gets a
  leading ``'`` so a spreadsheet shows it as text instead of running it. One exception:
  a plain number (``-12.5``) in a number attribute stays as it is, because a literal
  number cannot run anything and the PIM must read it as a number.
- The file is written to a temporary file in the same folder and moved into place with
  ``os.replace``: a failure or a cancel leaves the previous file (or nothing), never half a file.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.store import STATUS_ACCEPTED, Workspace, WorkspaceError
from icaam_desktop.core.store.records import STATUS_AUTO, STATUS_REVIEW
from icaam_desktop.core.taxonomy import AttributeSpec, Taxonomy

INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_INJECTION_FIRST = frozenset(INJECTION_PREFIXES)
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_PROGRESS_EVERY = 100
ACCEPTED_STATUSES = frozenset({STATUS_ACCEPTED, STATUS_AUTO})


class ExportError(WorkspaceError):
    """The export cannot run as asked (no taxonomy, no target folder); nothing was written."""


@dataclass(frozen=True)
class SkippedProduct:
    product_id: str
    reason: str


@dataclass
class ExportReport:
    path: Path
    rows: int
    columns: list[str]
    skipped: list[SkippedProduct] = field(default_factory=list)

    def skipped_by_reason(self) -> Counter[str]:
        return Counter(s.reason for s in self.skipped)

    def summary_lines(self) -> list[str]:
        """What was written and what was left out, by reason, for a person."""
        lines = [f"Exported {self.rows} products to {self.path}."]
        skipped = self.skipped_by_reason()
        if skipped:
            lines.append(f"{sum(skipped.values())} products were left out:")
            lines += [f"  • {reason}: {n}" for reason, n in skipped.most_common()]
        return lines


def neutralise(cell: str, *, number: bool = False) -> str:
    """``cell`` made safe to open in a spreadsheet (see the module docstring)."""
    if not cell or cell[0] not in _INJECTION_FIRST:
        return cell
    if number and _PLAIN_NUMBER.fullmatch(cell):
        return cell
    return "'" + cell


@dataclass
class _Row:
    product_id: str
    category: str | None
    status: str
    values: dict[str, str]
    accepted: bool


def export_delivery(
    workspace: Workspace,
    *,
    delivery: str,
    out: Path,
    labels: bool = False,
    include_unaccepted: bool = False,
    taxonomy: Taxonomy | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> ExportReport:
    """Write ``delivery``'s products to ``out`` in the retailer schema; return what was written and skipped.

    ``taxonomy`` defaults to the workspace's active one.
    """
    out = Path(out)
    taxonomy = taxonomy or workspace.taxonomy()
    if taxonomy is None:
        raise ExportError(f"the workspace {workspace.path} has no taxonomy: import the retailer's schema first")
    if not out.parent.is_dir():
        raise ExportError(f"cannot write {out}: the folder {out.parent} does not exist")
    records = workspace.products(delivery, images=False)
    values = workspace.product_values(delivery)
    if cancel is not None:
        cancel.raise_if_cancelled()
    rows, skipped = [], []
    for record in records:
        category = record.category
        if category is not None and category not in taxonomy.categories:
            skipped.append(SkippedProduct(record.product_id, f"category {category!r} is not in the taxonomy"))
            continue
        accepted = record.status in ACCEPTED_STATUSES and category is not None
        if not accepted and not include_unaccepted:
            skipped.append(SkippedProduct(record.product_id, f"no accepted category (status {record.status})"))
            continue
        if not accepted and record.status != STATUS_REVIEW:
            category = None  # a rejected or unclassified product has no category to show
        rows.append(_Row(record.product_id, category, record.status, values.get(record.product_id, {}), accepted))
    own = {
        c: {ca.attribute.code for ca in taxonomy.attributes_for(c)}
        for c in {r.category for r in rows if r.accepted and r.category}
    }
    # A product not accepted (only with include_unaccepted) shows whatever values it has: its category is
    # missing or stopped above the leaf (whose attributes were mapped), and the reviewer needs them.
    loose = {code for r in rows if not r.accepted for code in r.values if code in taxonomy.attributes}
    attributes = _columns(taxonomy, [*own.values(), loose])
    header = _header(taxonomy, attributes, labels=labels, status=include_unaccepted)
    _write_atomically(
        out,
        header,
        (_cells(taxonomy, row, attributes, own, labels=labels, status=include_unaccepted) for row in rows),
        total=len(rows),
        progress=progress,
        cancel=cancel,
    )
    return ExportReport(path=out, rows=len(rows), columns=header, skipped=skipped)


def _columns(taxonomy: Taxonomy, code_sets: list[set[str]]) -> list[AttributeSpec]:
    """The union of the rows' category attributes, in taxonomy order (the identifier has its own column)."""
    wanted: set[str] = set().union(*code_sets)
    identifier = taxonomy.identifier
    if identifier is not None:
        wanted.discard(identifier.code)
    return [spec for code, spec in taxonomy.attributes.items() if code in wanted]


def _header(taxonomy: Taxonomy, attributes: list[AttributeSpec], *, labels: bool, status: bool) -> list[str]:
    identifier = taxonomy.identifier
    if labels:
        head = [identifier.label if identifier else "SKU", "Category", *(a.label for a in attributes)]
        return head + (["Status"] if status else [])
    head = [identifier.code if identifier else "sku", "categories", *(a.code for a in attributes)]
    return head + (["status"] if status else [])


def _cells(
    taxonomy: Taxonomy,
    row: _Row,
    attributes: list[AttributeSpec],
    own_attributes: dict[str, set[str]],
    *,
    labels: bool,
    status: bool,
) -> list[str]:
    own = own_attributes[row.category] if row.accepted else None
    category = row.category or ""
    if labels and row.category:
        category = taxonomy.categories[row.category].label
    cells = [neutralise(row.product_id), neutralise(category)]
    for spec in attributes:
        value = row.values.get(spec.code, "") if own is None or spec.code in own else ""
        if labels and value and spec.is_select:
            value = ",".join(_option_label(spec, code) for code in value.split(","))
        cells.append(neutralise(value, number=spec.is_number))
    if status:
        cells.append(row.status)
    return cells


def _option_label(spec: AttributeSpec, code: str) -> str:
    option = spec.option(code.strip())
    return option.label if option else code


def _write_atomically(out: Path, header: list[str], rows, *, total: int, progress: Progress, cancel) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, delimiter=";", lineterminator="\n")
            writer.writerow([neutralise(cell) for cell in header])
            progress(0, total, "exporting")
            for done, cells in enumerate(rows, start=1):
                writer.writerow(cells)
                if done % _PROGRESS_EVERY == 0:
                    progress(done, total, "exporting")
                    if cancel is not None:
                        cancel.raise_if_cancelled()
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private (0600); give it the old file's mode or an ordinary 0644.
        os.chmod(temp, out.stat().st_mode & 0o777 if out.exists() else 0o644)
        try:
            os.replace(temp, out)
        except PermissionError as exc:
            # Windows refuses to replace a file another program (typically Excel) has open.
            raise ExportError(f"cannot replace {out}: is it open in another program? ({exc.strerror})") from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    progress(total, total, "exported")
