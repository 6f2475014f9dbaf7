"""Build resources/selftest/: 50 labelled catalogue photos that the shipped model never trained on.

    python tools/make_selftest_set.py [--catalog ../shared/data/fashion/catalog] [--taxonomy ...] [--n 50]

The packaged app's self-test (`icaam-desktop --self-test`) classifies these and compares the result with
the model card's held-out accuracy. They come from the retailer's own catalogue (its labels are the
retailer's, the same data the model is trained and evaluated on), taken from the held-out *test* split
that the card's split seed reproduces, spread evenly over that split in sku order. Nothing here comes
from a supplier delivery or its answers.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from icaam_desktop.core.taxonomy import load_taxonomy  # noqa: E402
from icaam_desktop.core.training.data import load_catalog, split_items  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "fashion"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=DATA / "catalog")
    parser.add_argument("--taxonomy", type=Path, default=DATA / "taxonomy")
    parser.add_argument("--model", type=Path, default=REPO / "models" / "default")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--out", type=Path, default=REPO / "resources" / "selftest")
    args = parser.parse_args()

    card = json.loads((args.model / "model_card.json").read_text(encoding="utf-8"))
    seed = int(card["training_data"]["split_seed"])
    catalog = load_catalog(args.catalog, taxonomy=load_taxonomy(args.taxonomy))
    test = sorted(split_items(catalog.items, seed=seed)["test"], key=lambda it: it.sku)
    if len(test) != card["training_data"]["split_sizes"]["test"]:
        raise SystemExit(f"the catalogue's test split has {len(test)} products, the card says another number")
    step = len(test) / args.n
    chosen = [test[int(i * step)] for i in range(args.n)]

    if args.out.exists():
        shutil.rmtree(args.out / "images", ignore_errors=True)
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    with (args.out / "products.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["sku", "categories"])
        for item in chosen:
            target = args.out / "images" / f"{item.sku}{item.image.suffix.lower()}"
            shutil.copyfile(item.image, target)
            writer.writerow([item.sku, item.leaf])
    print(f"{len(chosen)} test-split products (seed {seed}) written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
