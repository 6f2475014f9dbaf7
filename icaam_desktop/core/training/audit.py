"""Catalogue label audit: products whose label contradicts their photo, for an analyst to check.

Why: the classifier's confident mistakes on the dev catalogue are mostly pairs that the catalogue
labels inconsistently (casual/sports shoes, flats/heels, tops/t-shirts; docs/MODEL_CARD.md). A model
trained on contradictory labels learns either doubt or the wrong answer, and no loss tweak measured
there fixed it. Fixing the labels does, and this job finds the ones worth a look.

How (cross-validated "confident learning", after Northcutt et al., JAIR 2021):
1. every product is embedded with the *ImageNet* backbone, not with a fine-tuned model: a model
   trained on these labels has learned the wrong ones too, so it would vouch for them;
2. a class-balanced linear probe is fitted ``folds`` times, each time without one fold, and each
   product is scored only by the probe that never saw it (out-of-fold); a temperature fitted on
   those scores makes them calibrated;
3. a product is a suspect when the out-of-fold probability of its own leaf is below ``max_given``
   and another leaf reaches ``min_suggested``. Suspects are ranked by how much more likely the
   suggested leaf is than the given one.
On the dev catalogue it flags 175 of 6,783 products (2.6%). Of the first 48, judged by eye, about 28
are plainly mislabelled, 16 are honestly ambiguous and 4 are the probe's own mistakes: a list to
review, never an automatic relabelling. (Merely dropping the flagged products from the training split
did not improve the classifier, docs/MODEL_CARD.md: the held-out labels carry the same noise.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.taxonomy import Taxonomy

DEFAULT_FOLDS = 5
MAX_GIVEN = 0.1  # the label's out-of-fold probability must be below this ...
MIN_SUGGESTED = 0.8  # ... while another leaf's reaches this
PROBE_L2 = 2e-3  # ridge of the probe (per weight, relative to the mean loss), chosen on the dev catalogue
PROBE_ITERATIONS = 150
FEATURE_SCALE = 10.0  # centred, unit-length embeddings times this: a well-conditioned L-BFGS problem
SEED = 0


@dataclass(frozen=True)
class LabelSuspect:
    product_id: str
    given: str  # the catalogue's leaf code
    suggested: str  # the leaf the out-of-fold probe prefers
    p_given: float  # calibrated out-of-fold probability of the given leaf
    p_suggested: float
    images: tuple[Path, ...]


@dataclass
class LabelAudit:
    suspects: list[LabelSuspect]  # most contradicted first
    n_products: int  # products scored
    oof_accuracy: float  # out-of-fold top-1 agreement of the probe with the labels
    temperature: float
    backbone: str
    skipped: list[str] = field(default_factory=list)  # products not scored, with the reason

    def pairs(self) -> list[tuple[str, str, int]]:
        """(given, suggested, how many) for the suspects, most frequent first: where the labels disagree."""
        counts = Counter((s.given, s.suggested) for s in self.suspects)
        return [(g, s, n) for (g, s), n in counts.most_common()]


def stratified_folds(leaves: Sequence[str], folds: int, *, seed: int = SEED) -> np.ndarray:
    """A fold number per product: each leaf's products dealt round-robin over the folds after a shuffle."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(leaves), dtype=np.int64)
    by_leaf: dict[str, list[int]] = {}
    for i, leaf in enumerate(leaves):
        by_leaf.setdefault(leaf, []).append(i)
    start = 0
    for leaf in sorted(by_leaf):
        rows = rng.permutation(by_leaf[leaf])
        out[rows] = (np.arange(len(rows)) + start) % folds
        start += len(rows)  # rare leaves do not all start in fold 0
    return out


def _normalise(emb: np.ndarray) -> np.ndarray:
    x = emb - emb.mean(axis=0, keepdims=True)
    return (FEATURE_SCALE * x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)).astype(np.float32)


def out_of_fold_probabilities(
    emb: np.ndarray,
    y: np.ndarray,
    n_labels: int,
    *,
    folds: int,
    cancel: CancelToken | None = None,
    progress: Progress = no_progress,
) -> tuple[np.ndarray, float]:
    """Probabilities ``[n, n_labels]``, each row from a class-balanced probe fitted without that row's fold,
    calibrated by one temperature fitted on all of them; and that temperature."""
    from icaam_desktop.core.classify.hierarchy import fit_temperature, softmax
    from icaam_desktop.core.training.headonly import TrainingSet, balanced_weights, fit_head

    fold = stratified_folds([str(v) for v in y], folds)
    logits = np.zeros((len(y), n_labels), dtype=np.float32)
    for f in range(folds):
        progress(f, folds, f"fitting probe {f + 1} of {folds}")
        train, held = fold != f, fold == f
        if not held.any():
            continue
        targets = np.zeros((int(train.sum()), n_labels), dtype=bool)
        targets[np.arange(len(targets)), y[train]] = True
        data = TrainingSet(embeddings=emb[train], targets=targets, weights=balanced_weights(list(y[train])))
        w, b = fit_head(
            data,
            weight=np.zeros((n_labels, emb.shape[1]), dtype=np.float32),
            bias=np.zeros(n_labels, dtype=np.float32),
            l2=PROBE_L2,
            iterations=PROBE_ITERATIONS,
            cancel=cancel,
        )
        logits[held] = emb[held] @ w.T + b
    progress(folds, folds, "probes fitted")
    temperature = fit_temperature(logits, y)
    return softmax(logits, temperature), float(temperature)


def find_suspects(
    probs: np.ndarray, y: np.ndarray, *, max_given: float = MAX_GIVEN, min_suggested: float = MIN_SUGGESTED
) -> list[tuple[int, int]]:
    """(row, suggested label) for rows whose own label is unlikely while another is likely, most contradicted first."""
    rows = np.arange(len(y))
    p_given = probs[rows, y]
    best = probs.argmax(axis=1)
    hit = (p_given < max_given) & (probs[rows, best] >= min_suggested) & (best != y)
    order = sorted(np.nonzero(hit)[0], key=lambda i: -(probs[i, best[i]] - p_given[i]))
    return [(int(i), int(best[i])) for i in order]


def audit_labels(
    products: Sequence,
    *,
    taxonomy: Taxonomy,
    backbone: str | None = None,
    device: str = "auto",
    folds: int = DEFAULT_FOLDS,
    max_given: float = MAX_GIVEN,
    min_suggested: float = MIN_SUGGESTED,
    batch_size: int = 64,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> LabelAudit:
    """Audit the labels of ``products`` (``LabelledProduct``: id, leaf, photos); see the module docstring.

    ``backbone``: a timm name or local weights file (default: lite0 with its ImageNet weights). Raises
    ``ValueError`` when fewer than two leaves have enough products to cross-validate.
    """
    import torch

    from icaam_desktop.core.classify.backbone import DEFAULT_BACKBONE, backbone_config, create_backbone
    from icaam_desktop.core.classify.model_io import select_device
    from icaam_desktop.core.classify.pipeline import PipelineOptions, embed_images

    if folds < 2:
        raise ValueError("an audit needs at least 2 folds")
    skipped: list[str] = []
    counts = Counter(p.leaf for p in products)
    kept = []
    for p in products:
        if p.leaf not in taxonomy.categories:
            skipped.append(f"{p.product_id}: label {p.leaf!r} is not a category of the taxonomy")
        elif counts[p.leaf] < folds:
            skipped.append(
                f"{p.product_id}: only {counts[p.leaf]} product(s) of {p.leaf!r}, fewer than the {folds} folds"
            )
        elif not p.images:
            skipped.append(f"{p.product_id}: no photo")
        else:
            kept.append(p)
    labels = sorted({p.leaf for p in kept})
    if len(labels) < 2:
        raise ValueError(f"an audit needs at least 2 leaves with {folds} or more products each")

    name = backbone or DEFAULT_BACKBONE
    torch_device = select_device(device)
    backbone_model = create_backbone(name).eval()
    cfg = backbone_config(backbone_model)
    # a timm model's forward_features is the unpooled map; behind Sequential, embed_images calls the pooled forward
    model = torch.nn.Sequential(backbone_model).to(torch_device)
    paths = [Path(im) for p in kept for im in p.images]
    owner = np.array([i for i, p in enumerate(kept) for _ in p.images])
    emb, errors = embed_images(
        model,
        paths,
        device=torch_device,
        size=int(cfg["input_size"]),
        mean=cfg["mean"],
        std=cfg["std"],
        options=PipelineOptions(batch_size=batch_size),
        progress=progress,
        cancel=cancel,
    )
    ok = np.array([e is None for e in errors], dtype=bool)
    # one embedding per product: the mean over its decodable photos
    sums = np.zeros((len(kept), emb.shape[1]), dtype=np.float64)
    n = np.zeros(len(kept))
    np.add.at(sums, owner[ok], emb[ok])
    np.add.at(n, owner[ok], 1)
    for i in np.nonzero(n == 0)[0]:
        skipped.append(f"{kept[i].product_id}: no decodable photo")
    scored = [kept[i] for i in np.nonzero(n > 0)[0]]
    x = _normalise((sums[n > 0] / n[n > 0, None]).astype(np.float32))
    index = {leaf: k for k, leaf in enumerate(labels)}
    y = np.array([index[p.leaf] for p in scored], dtype=np.int64)

    probs, temperature = out_of_fold_probabilities(x, y, len(labels), folds=folds, cancel=cancel, progress=progress)
    suspects = [
        LabelSuspect(
            product_id=scored[i].product_id,
            given=labels[y[i]],
            suggested=labels[k],
            p_given=float(probs[i, y[i]]),
            p_suggested=float(probs[i, k]),
            images=tuple(Path(im) for im in scored[i].images),
        )
        for i, k in find_suspects(probs, y, max_given=max_given, min_suggested=min_suggested)
    ]
    return LabelAudit(
        suspects=suspects,
        n_products=len(scored),
        oof_accuracy=float((probs.argmax(axis=1) == y).mean()),
        temperature=float(temperature),
        backbone=str(name),
        skipped=skipped,
    )


# ----------------------------------------------------------------------------- report

CSV_COLUMNS = (
    "product_id",
    "given_leaf",
    "given_category",
    "suggested_leaf",
    "suggested_category",
    "p_given",
    "p_suggested",
    "image",
)
SHEET_MAX = 48  # suspects on the contact sheet
THUMB = 160


def write_audit(audit: LabelAudit, out: Path, *, taxonomy: Taxonomy) -> dict[str, Path]:
    """``label_audit.csv`` (every suspect), ``label_audit.png`` (a contact sheet of the first ones) and
    ``label_audit_pairs.csv`` (given -> suggested counts) in ``out``; written to temporary names, then moved."""
    import csv

    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "suspects": out / "label_audit.csv",
        "pairs": out / "label_audit_pairs.csv",
        "sheet": out / "label_audit.png",
    }
    tmp = {k: p.with_name(p.name + ".part") for k, p in paths.items()}
    try:
        with tmp["suspects"].open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(CSV_COLUMNS)
            for s in audit.suspects:
                writer.writerow(
                    [
                        s.product_id,
                        s.given,
                        taxonomy.path_label(s.given),
                        s.suggested,
                        taxonomy.path_label(s.suggested),
                        f"{s.p_given:.4f}",
                        f"{s.p_suggested:.4f}",
                        str(s.images[0]) if s.images else "",
                    ]
                )
        with tmp["pairs"].open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(("given_leaf", "suggested_leaf", "products"))
            writer.writerows(audit.pairs())
        contact_sheet(audit.suspects[:SHEET_MAX], taxonomy=taxonomy).save(tmp["sheet"], format="PNG")
    except BaseException:
        for part in tmp.values():  # nothing half-written is left behind
            part.unlink(missing_ok=True)
        raise
    for key, path in paths.items():
        tmp[key].replace(path)
    return paths


def contact_sheet(suspects: Sequence[LabelSuspect], *, taxonomy: Taxonomy, columns: int = 8):
    """One thumbnail per suspect with 'given -> suggested' under it (a PIL image)."""
    from PIL import Image, ImageDraw

    from icaam_desktop.core.images import ImageRejected, open_rgb

    rows = max(1, -(-len(suspects) // columns))
    cell_h = THUMB + 34
    sheet = Image.new("RGB", (columns * THUMB, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for k, s in enumerate(suspects):
        x, y = (k % columns) * THUMB, (k // columns) * cell_h
        try:
            thumb = open_rgb(s.images[0], min_side=THUMB)  # large JPEGs decode at a reduced DCT scale
            thumb.thumbnail((THUMB - 4, THUMB - 4))
            sheet.paste(thumb, (x + (THUMB - thumb.width) // 2, y + (THUMB - thumb.height) // 2))
        except (ImageRejected, IndexError):
            draw.text((x + 4, y + THUMB // 2), "no photo", fill="gray")
        given, suggested = taxonomy.label_of(s.given), taxonomy.label_of(s.suggested)
        draw.text((x + 3, y + THUMB + 2), f"{given[:12]} > {suggested[:12]}", fill="black")
        draw.text((x + 3, y + THUMB + 17), f"{s.product_id[:14]}  {s.p_suggested:.2f}", fill="gray")
    return sheet
