"""`icaam taxonomy check DIR`."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS
from icaam_desktop.cli.paths_arg import existing_dir
from icaam_desktop.core.taxonomy import TaxonomyError, load_taxonomy


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser("taxonomy", help="work with the retailer's PIM schema export")
    sub = group.add_subparsers(dest="taxonomy_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a PIM export folder and summarise it")
    check.add_argument("folder", metavar="DIR", help="folder with categories.csv, attributes.csv, ...")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    folder = existing_dir(args.folder, "taxonomy folder")
    try:
        taxonomy = load_taxonomy(folder)
    except TaxonomyError as exc:
        print(f"{len(exc.issues)} problem(s) in {folder}:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"taxonomy {folder}: OK (fingerprint {taxonomy.fingerprint})")
    print(f"root: {taxonomy.root}")
    for depth in range(1, taxonomy.max_depth + 1):
        print(f"level {depth}: {len(taxonomy.level(depth))} categories")
    leaves = taxonomy.leaves()
    print(f"leaves: {len(leaves)}")
    kinds = Counter(a.type for a in taxonomy.attributes.values())
    print(f"attributes: {len(taxonomy.attributes)} (" + ", ".join(f"{n} {k}" for k, n in kinds.most_common()) + ")")
    print(f"options: {sum(len(a.options) for a in taxonomy.attributes.values())}")
    required = [len(taxonomy.required_attributes(leaf.code)) for leaf in leaves]
    if required:
        print(
            "required attributes per leaf: "
            f"min {min(required)}, median {sorted(required)[len(required) // 2]}, max {max(required)}"
        )
    return EXIT_OK
