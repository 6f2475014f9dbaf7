"""What the classifier says about one product (shared by classify, store, export and GUI)."""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_AUTO = "auto"  # confident down to the leaf: accepted without a human
STATUS_REVIEW = "review"  # some level below the threshold: an analyst must look
STATUS_REJECTED = "rejected"  # no usable image: nothing to classify


@dataclass
class LevelPrediction:
    depth: int  # 1 = the level under the root
    code: str  # top-1 category at this level (consistent with the levels above)
    confidence: float  # calibrated probability of ``code``
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # top-k incl. code, best first
    accepted: bool = False  # passed this level's threshold (and every level above)


@dataclass
class Prediction:
    product_id: str
    status: str
    category_code: str | None  # deepest accepted level's code (None if even level 1 failed)
    leaf_code: str | None  # top-1 leaf
    levels: list[LevelPrediction] = field(default_factory=list)
    n_images: int = 0
    reasons: list[str] = field(default_factory=list)  # e.g. rejected image verdicts, "level 2 below threshold"
    model_version: str = ""
