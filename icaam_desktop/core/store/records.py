"""What the workspace hands back: plain dataclasses, no SQL, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The store speaks the classifier's and the mapper's words; re-exported here for its users.
from icaam_desktop.core.classify.prediction import STATUS_AUTO as STATUS_AUTO
from icaam_desktop.core.classify.prediction import STATUS_REJECTED as STATUS_REJECTED
from icaam_desktop.core.classify.prediction import STATUS_REVIEW as STATUS_REVIEW
from icaam_desktop.core.errors import IcaamError
from icaam_desktop.core.mapping.model import SOURCE_ANALYST as SOURCE_ANALYST
from icaam_desktop.core.mapping.model import SOURCE_MEMORY as SOURCE_MEMORY
from icaam_desktop.core.mapping.model import SOURCE_MODEL as SOURCE_MODEL

if TYPE_CHECKING:
    from icaam_desktop.core.delivery.model import ImageFile

# Decision sources: the mapping's words (one definition, in core/mapping/model.py).
SOURCES = frozenset({SOURCE_MODEL, SOURCE_ANALYST, SOURCE_MEMORY})

# The decision field that holds a product's category; any other product field is an attribute code.
FIELD_CATEGORY = "category"
# Delivery-level mapping decisions (product_id None) use these field prefixes.
FIELD_COLUMN_PREFIX = "column:"  # column:<supplier column>, value = comma-joined attribute codes ("" = none)
FIELD_VALUE_PREFIX = "value:"  # value:<attribute>:<supplier value>, value = option code ("" = none)

# A product's status as the grid and the export see it: the classifier's three (auto, review,
# rejected; core/classify/prediction.py), "accepted" when an analyst chose the category, and
# "unclassified" when there is neither a prediction nor a decision yet.
STATUS_ACCEPTED = "accepted"
STATUS_UNCLASSIFIED = "unclassified"
# A category decision with an empty value: the analyst rejected the product.
REJECT_VALUE = ""


class WorkspaceError(IcaamError):
    """The workspace cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Decision:
    """One recorded choice with its provenance; ``product_id`` is None for a delivery-level mapping choice."""

    id: int
    delivery: str
    product_id: str | None
    field: str  # "category", an attribute code, or a column:/value: mapping field
    value: str  # "" for field "category" means the analyst rejected the product
    source: str  # model / analyst / memory
    decided_at: datetime  # UTC
    model_version: str = ""
    score: float | None = None
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    note: str = ""
    undone_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryImport:
    """What ``upsert_delivery`` changed, as lists of product ids."""

    delivery_id: int
    name: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class DeliveryInfo:
    """One stored delivery with its counts (for pickers and the status area)."""

    id: int
    name: str
    root: Path
    supplier: str
    sheet: str
    n_products: int
    n_images: int
    n_rejected_images: int
    n_orphan_images: int
    n_predicted: int  # products with a current prediction
    n_accepted: int  # products whose current category decision comes from an analyst and is not a rejection
    imported_at: datetime
    updated_at: datetime


@dataclass
class ProductRecord:
    """A product as the grid needs it: its row, its images and where its category stands now.

    ``category``/``status``/``confidence`` come from the current category decision when
    there is one (analyst: accepted/rejected with confidence 1.0; model or memory: auto
    with the decision's score), else from the current prediction, else unclassified.
    """

    product_id: str
    row_number: int
    row: dict[str, str]
    images: list[ImageFile]
    status: str  # auto / review / rejected / accepted / unclassified
    category: str | None  # the accepted or deepest confident category
    confidence: float | None
    leaf_code: str | None = None  # the model's top-1 leaf, even below threshold
    source: str = ""  # where ``category`` comes from: model / analyst / memory ("" when unclassified)
    model_version: str = ""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    action: str
    delivery: str | None
    product_id: str | None
    detail: dict[str, Any]
