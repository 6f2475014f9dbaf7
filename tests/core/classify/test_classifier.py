"""The shipped model end to end on real photos: bad images, photo aggregation, taxonomy mismatch, resume."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from icaam_desktop.core.classify import ModelTaxonomyMismatch, classify_delivery
from icaam_desktop.core.classify.hierarchy import aggregate_images
from icaam_desktop.core.delivery.model import ImageFile, Product
from icaam_desktop.core.images import inspect_image
from icaam_desktop.core.jobs import Cancelled, CancelToken

from .conftest import DEMO

CONTOSO_DEFECTS = {
    "40826792": "zero_byte",
    "40953250": "truncated",
    "40233422": "not_an_image",
    "40155871": "cmyk",
    "40359562": "exif_rotated",
}


def image_file(path: Path, *, trust_header: bool = False) -> ImageFile:
    """An ImageFile with the delivery loader's header verdict (or forced ok, to test decode-time failures)."""
    check = inspect_image(path)
    verdict, reason = ("ok", "") if trust_header else (check.verdict, check.reason)
    return ImageFile(path=path, rel=path.name, verdict=verdict, reason=reason, format=check.format, mode=check.mode)


def product(pid: str, *paths: Path, trust_header: bool = False) -> Product:
    return Product(
        product_id=pid, row={}, row_number=2, images=[image_file(p, trust_header=trust_header) for p in paths]
    )


@pytest.fixture(scope="module")
def odd_images(tmp_path_factory, fashion) -> dict[str, Path]:
    """Generated files from a real photo: EXIF-rotated, 16-bit, palette+transparency, RGBA, truncated."""
    folder = tmp_path_factory.mktemp("odd")
    src = Image.open(DEMO / "images" / "NW-148067.jpg").convert("RGB")
    out = {"upright": folder / "upright.jpg"}
    src.save(out["upright"], quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display: store the pixels rotated 90 CCW
    out["exif_rotated"] = folder / "exif.jpg"
    src.rotate(90, expand=True).save(out["exif_rotated"], quality=95, exif=exif)
    out["sixteen_bit"] = folder / "grey16.png"
    Image.fromarray(np.asarray(src.convert("L"), dtype=np.uint16) * 257).save(out["sixteen_bit"])
    out["palette"] = folder / "palette.png"
    pal = src.convert("P", palette=Image.Palette.ADAPTIVE)
    pal.info["transparency"] = 0
    pal.save(out["palette"], transparency=0)
    out["rgba"] = folder / "rgba.png"
    rgba = src.convert("RGBA")
    rgba.putalpha(200)
    rgba.save(out["rgba"])
    data = out["upright"].read_bytes()
    out["cut"] = folder / "cut.jpg"
    out["cut"].write_bytes(data[: len(data) // 2])
    return out


def test_bad_images_are_rejected_with_reasons_and_odd_ones_classified(classifier, taxonomy, fashion, odd_images):
    bilder = fashion / "suppliers" / "contoso" / "bilder"
    files = {pid: next(bilder.glob(f"{pid}.*")) for pid in CONTOSO_DEFECTS}
    good = DEMO / "images" / "NW-101247.jpg"
    products = [product(pid, path) for pid, path in files.items()]
    products += [product(name, path) for name, path in odd_images.items() if name != "cut"]
    products.append(product("cut_but_header_trusted", odd_images["cut"], trust_header=True))  # fails at decode
    products.append(product("one_bad_one_good", files["40826792"], good))
    products.append(Product(product_id="no_images", row={}, row_number=3, images=[]))
    preds = {p.product_id: p for p in classifier.predict_products(products, taxonomy=taxonomy, batch_size=4)}
    assert len(preds) == len(products)
    for pid, kind in CONTOSO_DEFECTS.items():
        if kind in ("zero_byte", "truncated", "not_an_image"):
            assert preds[pid].status == "rejected", pid
            assert kind in preds[pid].reasons[0] and preds[pid].category_code is None
        else:  # CMYK and EXIF-rotated photos are fine once decoded properly
            assert preds[pid].status in ("auto", "review") and preds[pid].n_images == 1
    assert preds["cut_but_header_trusted"].status == "rejected"
    assert "truncated" in preds["cut_but_header_trusted"].reasons[0]
    assert preds["no_images"].status == "rejected" and preds["no_images"].reasons == ["no image"]
    mixed = preds["one_bad_one_good"]
    assert mixed.status != "rejected" and mixed.n_images == 1 and "zero_byte" in mixed.reasons[0]
    for name in ("sixteen_bit", "palette", "rgba", "exif_rotated"):
        assert preds[name].status != "rejected", name
    # EXIF orientation honoured: same leaf as the upright photo
    assert preds["exif_rotated"].leaf_code == preds["upright"].leaf_code


def test_exif_rotated_photo_embeds_like_the_upright_one(classifier, odd_images):
    emb, errors = classifier.embed_paths([odd_images["upright"], odd_images["exif_rotated"]], batch_size=2)
    assert errors == [None, None]
    cos = float(emb[0] @ emb[1] / np.linalg.norm(emb[0]) / np.linalg.norm(emb[1]))
    assert cos > 0.97


def test_several_photos_make_one_prediction(classifier, taxonomy):
    first, second = DEMO / "images" / "NW-129448.jpg", DEMO / "images" / "NW-129448_2.jpg"
    both = product("both", first, second)
    pred = classifier.predict_products([both], taxonomy=taxonomy)[0]
    assert pred.n_images == 2
    emb, _ = classifier.embed_paths([first, second])
    per_image = classifier.leaf_probs_from_embeddings(emb)
    expected = aggregate_images(per_image, [[0, 1]], method=classifier.aggregation)[0]
    leaf = pred.levels[-1]
    assert leaf.confidence == pytest.approx(expected[classifier.labels.index(leaf.code)], abs=1e-3)


def test_model_refuses_another_taxonomy(classifier, taxonomy_dir, tmp_path, small_delivery):
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.taxonomy import load_taxonomy

    other = tmp_path / "tax"
    shutil.copytree(taxonomy_dir, other)
    with (other / "categories.csv").open("a", encoding="utf-8") as handle:
        handle.write("brand_new_leaf;footwear;Brand new leaf\n")
    changed = load_taxonomy(other)
    with pytest.raises(
        ModelTaxonomyMismatch, match=r"categories new since the model was trained \(1\): brand_new_leaf"
    ):
        classifier.check_taxonomy(changed)
    with pytest.raises(ModelTaxonomyMismatch):
        classify_delivery(open_delivery(small_delivery), classifier=classifier, taxonomy=changed)


def test_cancelled_run_resumes_and_skips_done_products(classifier, taxonomy, small_delivery, tmp_path):
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.store import Workspace

    delivery = open_delivery(small_delivery)
    ids = [p.product_id for p in delivery.products]
    token = CancelToken()

    def cancel_after_first_chunk(done: int, total: int | None, message: str = "") -> None:
        if done >= 2:
            token.cancel()

    ws = Workspace.open(tmp_path / "ws.sqlite")
    try:
        with pytest.raises(Cancelled):
            classify_delivery(
                delivery,
                classifier=classifier,
                taxonomy=taxonomy,
                workspace=ws,
                chunk=2,
                progress=cancel_after_first_chunk,
                cancel=token,
            )
        saved = ws.predicted_ids(delivery.name, classifier.version)
        assert saved == set(ids[:2])  # exactly the finished chunk, nothing half-written
        first_saved = ws.predictions(delivery.name, model_version=classifier.version)
        calls: list[tuple[int, int | None, str]] = []
        preds = classify_delivery(
            delivery,
            classifier=classifier,
            taxonomy=taxonomy,
            workspace=ws,
            chunk=2,
            progress=lambda d, t, m="": calls.append((d, t, m)),
        )
        assert calls[0][0] == 2 and "already done" in calls[0][2]
        assert [p.product_id for p in preds] == ids
        assert ws.predicted_ids(delivery.name, classifier.version) == set(ids)
        assert preds[0].leaf_code == first_saved[ids[0]].leaf_code
    finally:
        ws.close()


def test_a_replaced_photo_is_classified_again_on_the_next_run(classifier, taxonomy, small_delivery, tmp_path):
    """Resume skips finished products, but not one whose photo the supplier replaced since (same file name)."""
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.store import Workspace

    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        first = classify_delivery(open_delivery(small_delivery), classifier=classifier, taxonomy=taxonomy, workspace=ws)
        leaves = [p.leaf_code for p in first]
        i, j = next((i, j) for i in range(len(first)) for j in range(len(first)) if leaves[i] != leaves[j])
        photos = small_delivery / "images"
        donor = photos / f"{first[j].product_id}.jpg"
        for old in photos.glob(f"{first[i].product_id}*.jpg"):
            shutil.copy(donor, old)  # the same names, another product's photo

        delivery = open_delivery(small_delivery)
        report = ws.upsert_delivery(delivery)
        assert report.updated == [first[i].product_id]
        calls: list[str] = []
        second = classify_delivery(
            delivery,
            classifier=classifier,
            taxonomy=taxonomy,
            workspace=ws,
            progress=lambda d, t, m="": calls.append(m),
        )
        assert f"({len(first) - 1} already done)" in calls[0]
        assert second[i].leaf_code == leaves[j] != leaves[i]
        assert [p.leaf_code for k, p in enumerate(second) if k != i] == [p for k, p in enumerate(leaves) if k != i]
        assert ws.predictions(delivery.name)[first[i].product_id].leaf_code == leaves[j]


def test_auto_compile_is_decided_once_for_the_whole_delivery(
    classifier, taxonomy, small_delivery, tmp_path, monkeypatch
):
    """Saved in chunks, a delivery must still count as a whole for "compile when it pays" (2,000+ photos)."""
    from icaam_desktop.core.classify import compiled
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.store import Workspace

    asked: list[int] = []
    monkeypatch.setattr(compiled, "should_compile", lambda requested, device, n: asked.append(n) or False)
    delivery = open_delivery(small_delivery)
    assert classifier.options.compile is None
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        classify_delivery(delivery, classifier=classifier, taxonomy=taxonomy, workspace=ws, chunk=2)
    assert asked[0] == sum(len(p.usable_images) for p in delivery.products)  # the delivery, not a chunk
    assert classifier.options.compile is None  # restored: the next run decides again
