"""Score the classifier on the supplier deliveries against their truth (measurement only).

For each delivery: open it like the app does, classify every product, and compare with
``truth/categories.csv``: per-level accuracy and macro-F1, auto-accept rate and its leaf
error, and which products were rejected (with ``truth/images.csv``'s defect kinds). It
also compares the two ways of combining several photos of one product (mean of
log-probabilities vs mean of probabilities) on the products that have more than one photo.

    python benchmarks/classify_suppliers.py --suppliers ../shared/data/fashion/suppliers --taxonomy ../shared/data/fashion/taxonomy
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icaam_desktop.core.classify import load_classifier  # noqa: E402
from icaam_desktop.core.classify.hierarchy import LevelIndex, aggregate_images  # noqa: E402
from icaam_desktop.core.classify.quality import summarize  # noqa: E402
from icaam_desktop.core.delivery import open_delivery  # noqa: E402
from icaam_desktop.core.taxonomy import load_taxonomy  # noqa: E402


def _truth(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "truth" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def score_delivery(folder: Path, *, clf, taxonomy, index: LevelIndex) -> dict:
    delivery = open_delivery(folder)
    truth = {r["supplier_sku"]: r["category_code"] for r in _truth(folder, "categories.csv")}
    defects = {r["image_file"]: r["status"] for r in _truth(folder, "images.csv") if r["status"] != "ok"}
    t0 = time.perf_counter()
    paths, owner = [], []
    for i, product in enumerate(delivery.products):
        for im in product.images:
            if im.ok:
                paths.append(im.path)
                owner.append(i)
    emb, errors = clf.embed_paths(paths)
    probs = clf.leaf_probs_from_embeddings(emb)
    groups: dict[int, list[int]] = {}
    decode_reasons: list[list[str]] = [[] for _ in delivery.products]
    for row, (i, err) in enumerate(zip(owner, errors, strict=True)):
        if err is None:
            groups.setdefault(i, []).append(row)
        else:
            decode_reasons[i].append(f"{Path(paths[row]).name}: {err.verdict} ({err})")
    # exactly what Classifier.predict_products does after embedding (same private assembly step)
    preds = clf._assemble(
        delivery.products, probs, [groups.get(i, []) for i in range(len(delivery.products))], decode_reasons, index
    )
    seconds = time.perf_counter() - t0
    scored = [p for p in preds if p.status != "rejected" and p.product_id in truth]
    keep = [i for i in sorted(groups) if delivery.products[i].product_id in truth]
    leaves = [truth[delivery.products[i].product_id] for i in keep]
    result = {"delivery": folder.name, "products": len(preds), "seconds": seconds}
    for method in ("mean_log", "mean_prob"):
        agg = aggregate_images(probs, [groups[i] for i in keep], method=method)
        summary = summarize(agg, leaves, index=index, thresholds=clf.thresholds)
        multi = [k for k, i in enumerate(keep) if len(groups[i]) > 1]
        multi_summary = (
            summarize(agg[multi], [leaves[k] for k in multi], index=index, thresholds=clf.thresholds) if multi else None
        )
        result[method] = {
            "levels": summary["levels"],
            "auto_rate": summary["auto_rate"],
            "auto_error": summary["auto_error"],
            "accepted_per_level": summary["accepted_per_level"],
            "multi_image_products": len(multi),
            "multi_image_leaf_top1": multi_summary["leaf_top1"] if multi_summary else None,
            "multi_image_nll": float(
                -np.mean(
                    [np.log(max(agg[k][clf.labels.index(leaves[k])], 1e-12)) for k in multi if leaves[k] in clf.labels]
                )
            )
            if multi
            else None,
        }
    result["status_counts"] = {s: sum(p.status == s for p in preds) for s in ("auto", "review", "rejected")}
    auto = [p for p in scored if p.status == "auto"]
    result["auto_leaf_error_from_predictions"] = (
        float(np.mean([p.leaf_code != truth[p.product_id] for p in auto])) if auto else 0.0
    )
    review = [p for p in scored if p.status == "review"]
    result["review_category_code_error"] = (
        float(
            np.mean(
                [
                    p.category_code is not None and p.category_code not in taxonomy.ancestors(truth[p.product_id])
                    for p in review
                ]
            )
        )
        if review
        else 0.0
    )
    result["rejected"] = [{"product_id": p.product_id, "reasons": p.reasons} for p in preds if p.status == "rejected"]
    result["truth_defects"] = defects
    result["unknown_truth_leaves"] = sorted({leaf for leaf in leaves if leaf not in clf.labels})
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suppliers", required=True)
    ap.add_argument("--taxonomy", required=True)
    ap.add_argument("--model", default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    taxonomy = load_taxonomy(args.taxonomy)
    clf = load_classifier(args.model, device=args.device)
    index = LevelIndex.build(taxonomy, clf.labels)
    results = []
    for folder in sorted(Path(args.suppliers).iterdir()):
        if (folder / "truth" / "categories.csv").is_file():
            res = score_delivery(folder, clf=clf, taxonomy=taxonomy, index=index)
            results.append(res)
            m = res["mean_log"]
            levels = ", ".join(f"L{lv['depth']} acc {lv['accuracy']:.3f} F1 {lv['macro_f1']:.3f}" for lv in m["levels"])
            print(
                f"{res['delivery']}: {levels}; auto {m['auto_rate']:.3f} @ leaf err {m['auto_error']:.3f}; "
                f"status {res['status_counts']}; multi-image top-1 mean_log {m['multi_image_leaf_top1']} "
                f"mean_prob {res['mean_prob']['multi_image_leaf_top1']}"
            )
            for r in res["rejected"]:
                print(f"   rejected {r['product_id']}: {'; '.join(r['reasons'])}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"model": clf.version, "device": clf.device_description, "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
