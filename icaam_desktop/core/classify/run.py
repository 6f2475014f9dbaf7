"""``classify_delivery``: the one classification run the CLI and the GUI both call.

With a workspace, products are classified and saved in chunks (one transaction each), so
a cancel or Ctrl-C leaves every saved chunk complete, and a rerun with the same model
skips the products that already have a prediction from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from icaam_desktop.core.classify.model_io import Classifier
from icaam_desktop.core.classify.prediction import Prediction
from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.taxonomy import Taxonomy

CHUNK_PRODUCTS = 512
MIN_CPU_CHUNK = 32


def classify_delivery(
    delivery,
    *,
    classifier: Classifier,
    taxonomy: Taxonomy,
    workspace=None,
    batch_size: int = 64,
    chunk: int = CHUNK_PRODUCTS,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> list[Prediction]:
    """Predict every product of ``delivery`` (a ``core.delivery.model.Delivery``), in sheet order.

    Raises ``ModelTaxonomyMismatch`` before any work when the model does not fit the tree.
    ``workspace`` (a ``core.store.Workspace``) is optional: with it, the delivery is
    stored, finished products are skipped and each chunk is saved as soon as it is done.
    """
    classifier.check_taxonomy(taxonomy)
    products = list(delivery.products)
    done_ids: set[str] = set()
    previous: dict[str, Prediction] = {}
    if workspace is not None:
        workspace.upsert_delivery(delivery)
        done_ids = workspace.predicted_ids(delivery.name, classifier.version)
        if done_ids:
            previous = workspace.predictions(delivery.name, model_version=classifier.version)
    todo = [p for p in products if p.product_id not in done_ids]
    if workspace is None:
        chunk = max(chunk, len(todo))  # no partial state to keep: one pass keeps the workers busiest
    elif getattr(classifier.device, "type", "cpu") == "cpu":
        # A CPU takes minutes for a few hundred products: save in at least ~8 chunks, so a cancel keeps
        # most of the work. (On CUDA a chunk is seconds, and each one restarts the decoding workers.)
        chunk = min(chunk, max(MIN_CPU_CHUNK, len(todo) // 8))
    total = len(products)
    fresh: dict[str, Prediction] = {}
    finished = total - len(todo)
    progress(finished, total, "classifying" + (f" ({finished} already done)" if finished else ""))
    with _compile_decided_once(classifier, todo):
        for start in range(0, len(todo), max(1, chunk)):
            if cancel is not None:
                cancel.raise_if_cancelled()
            part = todo[start : start + chunk]
            n_images = sum(1 for p in part for im in p.images if im.ok) or 1
            base = finished

            def inner(done: int, _total: int | None, message: str = "", *, _base=base, _n=n_images, _k=len(part)):
                progress(_base + int(_k * done / _n), total, message)

            preds = classifier.predict_products(
                part, taxonomy=taxonomy, batch_size=batch_size, progress=inner, cancel=cancel
            )
            if workspace is not None:
                workspace.save_predictions(delivery.name, preds)
            fresh.update((p.product_id, p) for p in preds)
            finished += len(part)
            progress(finished, total, "classifying")
    out = []
    for product in products:
        pred = fresh.get(product.product_id) or previous.get(product.product_id)
        if pred is not None:
            out.append(pred)
    return out


@contextmanager
def _compile_decided_once(classifier: Classifier, todo) -> Iterator[None]:
    """ "auto" compile pays for a large delivery as a whole: decide once for the run, not per chunk
    (a chunk is at most CHUNK_PRODUCTS products, below the threshold on its own); "auto" again after."""
    options = getattr(classifier, "options", None)
    if options is None or options.compile is not None:
        yield
        return
    from icaam_desktop.core.classify.compiled import should_compile

    options.compile = should_compile(None, classifier.device, sum(len(p.usable_images) for p in todo))
    try:
        yield
    finally:
        options.compile = None
