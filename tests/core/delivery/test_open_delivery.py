"""Opening whole delivery folders: the two real supplier deliveries, and synthetic folders for the
cases they do not cover (several sheets, joins by column/stem/suffix, missing and orphan images)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image

from icaam_desktop.core.delivery import DeliveryError, open_delivery
from icaam_desktop.core.jobs import Cancelled, CancelToken

# truth/images.csv statuses that are usable images (noted, not rejected) after the header check.
USABLE_STATUSES = {"ok", "cmyk", "exif_rotated"}


def _truth_images(supplier: Path) -> list[dict[str, str]]:
    with open(supplier / "truth" / "images.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _truth_sku_column(supplier: Path) -> str:
    with open(supplier / "truth" / "columns.csv", encoding="utf-8", newline="") as fh:
        return next(r["supplier_column"] for r in csv.DictReader(fh, delimiter=";") if r["retailer_attribute"] == "sku")


def _assert_matches_truth(delivery, supplier: Path) -> None:
    truth = _truth_images(supplier)
    expected: dict[str, list[tuple[str, str]]] = {}
    for row in truth:
        expected.setdefault(row["supplier_sku"], []).append((row["image_file"], row["role"]))
    assert {p.product_id for p in delivery.products} == set(expected)
    for product in delivery.products:
        want = expected[product.product_id]
        primary = [f for f, role in want if role == "primary"]
        assert [im.rel for im in product.images][:1] == primary, product.product_id
        assert sorted(im.rel for im in product.images) == sorted(f for f, _ in want)
    by_rel = {im.rel: im for im in delivery.images}
    for row in truth:
        image = by_rel[row["image_file"]]
        if row["status"] in USABLE_STATUSES:
            assert image.ok, (row, image.reason)
        else:
            assert image.verdict == row["status"], (row, image.reason)
            assert image.reason
    assert delivery.orphan_images == []
    assert delivery.products_without_images == []
    assert delivery.problems == []


@pytest.fixture(scope="module")
def contoso(fashion):
    return open_delivery(fashion / "suppliers" / "contoso")


@pytest.fixture(scope="module")
def northwind(fashion):
    return open_delivery(fashion / "suppliers" / "northwind")


def test_contoso_is_read_as_the_supplier_wrote_it(contoso, fashion):
    supplier = fashion / "suppliers" / "contoso"
    assert contoso.sheet.path == (supplier / "produkte.csv").resolve()
    assert contoso.sheet.encoding == "cp1252"
    assert contoso.sheet.delimiter == ";"
    assert contoso.id_column == _truth_sku_column(supplier) == "Artikelnummer"
    assert contoso.image_column == "Bild"
    assert "Ärmellänge" in contoso.sheet.columns
    assert len(contoso.products) == 400
    assert contoso.sheet.warnings == []
    assert contoso.products[0].row["Preis EUR"] == "1,58"
    assert contoso.products[0].row_number == 2
    _assert_matches_truth(contoso, supplier)


def test_contoso_bad_files_get_their_verdicts(contoso, fashion):
    bad = {
        r["image_file"]: r["status"] for r in _truth_images(fashion / "suppliers" / "contoso") if r["status"] != "ok"
    }
    assert len(bad) == 5
    by_rel = {im.rel: im for im in contoso.images}
    rejected = {im.rel: im.verdict for im in contoso.rejected_images}
    assert rejected == {rel: status for rel, status in bad.items() if status not in USABLE_STATUSES}
    cmyk = next(rel for rel, status in bad.items() if status == "cmyk")
    rotated = next(rel for rel, status in bad.items() if status == "exif_rotated")
    assert by_rel[cmyk].mode == "CMYK" and any("CMYK" in n for n in by_rel[cmyk].notes)
    assert any("orientation 6" in n for n in by_rel[rotated].notes)


def test_northwind_with_second_images(northwind, fashion):
    supplier = fashion / "suppliers" / "northwind"
    assert northwind.sheet.path.name == "products.csv"
    assert (northwind.sheet.encoding, northwind.sheet.delimiter) == ("utf-8-sig", ",")
    assert northwind.id_column == _truth_sku_column(supplier) == "Article No"
    assert northwind.image_column == "Image File"
    assert len(northwind.products) == 400
    several = northwind.products_with_several_images
    assert len(several) == 40
    assert all(p.images[1].rel == f"images/{p.product_id}_2.jpg" for p in several)
    assert all(p.images[1].joined_by == "suffix" for p in several)
    assert northwind.products[0].row["RRP (INR)"] == "INR 1,049.00"
    _assert_matches_truth(northwind, supplier)


# --- synthetic folders ------------------------------------------------------------------------------


def _jpg(path: Path, colour=(200, 30, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (24, 32), colour).save(path, format="JPEG")


def test_join_by_column_stem_and_suffix(tmp_path):
    (tmp_path / "sheet.csv").write_text(
        "ref;name;pictures\n"
        "A-1;Shirt;photos/front a1.jpg | photos/back_a1.JPG\n"  # a space in a name, a pipe, a case mismatch
        "B-2;Dress;\n"  # joined by stem, plus B-2-3 and B-2_2 by suffix
        "C-3;Hat;c3.png\n"  # named but not on disk
        "D-4;Sock;\n",  # no image at all
        encoding="utf-8",
    )
    _jpg(tmp_path / "photos" / "front a1.jpg")
    _jpg(tmp_path / "photos" / "back_a1.jpg")
    _jpg(tmp_path / "B-2.jpeg")
    _jpg(tmp_path / "more" / "B-2-3.JPG")
    _jpg(tmp_path / "more" / "b-2_2.png")
    _jpg(tmp_path / "stray.webp")
    (tmp_path / ".thumbs").mkdir()
    _jpg(tmp_path / ".thumbs" / "A-1.jpg")  # hidden: ignored

    delivery = open_delivery(tmp_path)
    assert (delivery.id_column, delivery.image_column) == ("ref", "pictures")
    images = {p.product_id: [im.rel for im in p.images] for p in delivery.products}
    assert images == {
        "A-1": ["photos/front a1.jpg", "photos/back_a1.jpg"],
        "B-2": ["B-2.jpeg", "more/b-2_2.png", "more/B-2-3.JPG"],
        "C-3": ["c3.png"],
        "D-4": [],
    }
    c3 = delivery.product("C-3").images[0]
    assert c3.verdict == "missing" and "line 4" in c3.reason
    assert [im.rel for im in delivery.orphan_images] == ["stray.webp"]
    assert [p.product_id for p in delivery.products_without_images] == ["D-4"]
    assert {im.rel for im in delivery.rejected_images} == {"c3.png"}


def test_photos_in_a_folder_per_product_and_zero_padded_file_names(tmp_path):
    """Layouts a sheet does not describe: images/<id>/1.jpg, and 00004100.jpg for the id a spreadsheet shows as 4100."""
    (tmp_path / "p.csv").write_text("Referencia;Nombre\nES-020;Camisa\n4100;Vestido\n77;Gorro\n", encoding="utf-8")
    _jpg(tmp_path / "imagenes" / "ES-020" / "10.jpg")
    _jpg(tmp_path / "imagenes" / "ES-020" / "2.jpg")
    _jpg(tmp_path / "fotos" / "00004100.jpg")
    _jpg(tmp_path / "fotos" / "0077_2.jpg")  # a numbered extra of 0077, i.e. of 77
    delivery = open_delivery(tmp_path)
    images = {p.product_id: [im.rel for im in p.images] for p in delivery.products}
    assert images == {
        "ES-020": ["imagenes/ES-020/2.jpg", "imagenes/ES-020/10.jpg"],
        "4100": ["fotos/00004100.jpg"],
        "77": ["fotos/0077_2.jpg"],
    }
    assert [im.joined_by for im in delivery.product("ES-020").images] == ["folder", "folder"]
    assert delivery.orphan_images == []


def test_every_image_column_is_read_and_the_full_one_is_the_main(tmp_path):
    rows = [f"IT-{i};Maglia;it{i}.jpg;{f'it{i}_retro.jpg' if i < 3 else ''}" for i in range(1, 11)]
    (tmp_path / "p.csv").write_text("Codice;Nome;Immagine 1;Immagine 2\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for i in range(1, 11):
        _jpg(tmp_path / f"it{i}.jpg")
    _jpg(tmp_path / "it1_retro.jpg")
    _jpg(tmp_path / "it2_retro.jpg")
    delivery = open_delivery(tmp_path)
    assert (delivery.image_column, delivery.extra_image_columns) == ("Immagine 1", ["Immagine 2"])
    assert [im.rel for im in delivery.product("IT-1").images] == ["it1.jpg", "it1_retro.jpg"]
    assert [im.rel for im in delivery.product("IT-5").images] == ["it5.jpg"]
    assert delivery.orphan_images == [] and delivery.products_without_images == []
    given = open_delivery(tmp_path, image_column="Immagine 1")  # a chosen main column keeps the others
    assert [im.rel for im in given.product("IT-2").images] == ["it2.jpg", "it2_retro.jpg"]


def test_duplicate_ids_keep_the_first_row(tmp_path):
    (tmp_path / "p.csv").write_text("sku,name\nX1,first\nX2,other\nX1,second\n,no id\n", encoding="utf-8")
    _jpg(tmp_path / "X1.jpg")
    delivery = open_delivery(tmp_path)
    assert [p.product_id for p in delivery.products] == ["X1", "X2"]
    assert delivery.product("X1").row["name"] == "first"
    assert any("line 4" in p and "duplicate" in p and "line 2" in p for p in delivery.problems)
    assert any("line 5" in p and "no product id" in p for p in delivery.problems)


def test_id_column_is_found_without_a_helpful_header_or_images(tmp_path):
    rows = "".join(f"Shirt model {i} in blue;{100 + i};{i % 3},99;Blue\n" for i in range(30))
    (tmp_path / "export.txt").write_text("Bezeichnung;Nummer;Preis;Farbe\n" + rows, encoding="utf-8")
    delivery = open_delivery(tmp_path)
    assert delivery.id_column == "Nummer"
    assert delivery.image_column is None
    assert len(delivery.products_without_images) == 30


def test_several_sheets_are_an_error_until_one_is_chosen(tmp_path):
    for name in ("products.csv", "products_old.csv"):
        (tmp_path / name).write_text("sku,name\nA1,Shirt\n", encoding="utf-8")
    _jpg(tmp_path / "A1.jpg")
    with pytest.raises(DeliveryError) as err:
        open_delivery(tmp_path)
    message = str(err.value)
    assert "products.csv" in message and "products_old.csv" in message and "--sheet" in message
    delivery = open_delivery(tmp_path, sheet="products_old.csv")
    assert delivery.sheet.path.name == "products_old.csv" and delivery.sheet.selection == "given"


def test_the_sheet_naming_the_images_wins_over_other_tables(tmp_path):
    (tmp_path / "prices.csv").write_text("brand;discount\nacme;10\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "items.csv").write_text("sku;image\nA1;A1.jpg\n", encoding="utf-8")
    (tmp_path / "readme.txt").write_text("Delivery for spring.\n", encoding="utf-8")
    _jpg(tmp_path / "A1.jpg")
    delivery = open_delivery(tmp_path)
    assert delivery.sheet.path.name == "items.csv"
    assert len(delivery.sheet.candidates) == 3


def test_no_sheet_and_unknown_columns_are_errors(tmp_path):
    _jpg(tmp_path / "A1.jpg")
    with pytest.raises(DeliveryError, match="no product sheet"):
        open_delivery(tmp_path)
    (tmp_path / "p.csv").write_text("sku,name\nA1,Shirt\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match="'Artikel' is not in the sheet"):
        open_delivery(tmp_path, id_column="Artikel")
    assert open_delivery(tmp_path, id_column="NAME").id_column == "name"
    with pytest.raises(DeliveryError, match="does not exist"):
        open_delivery(tmp_path, sheet="nope.csv")


def test_empty_and_header_only_sheets(tmp_path):
    (tmp_path / "p.csv").write_bytes(b"")
    with pytest.raises(DeliveryError, match="is empty"):
        open_delivery(tmp_path)
    (tmp_path / "p.csv").write_text("sku;name\n", encoding="utf-8")
    _jpg(tmp_path / "A1.jpg")
    delivery = open_delivery(tmp_path)
    assert delivery.products == []
    assert any("no product rows" in w for w in delivery.sheet.warnings)
    assert [im.rel for im in delivery.orphan_images] == ["A1.jpg"]


def test_progress_and_cancel(tmp_path):
    (tmp_path / "p.csv").write_text("sku\n" + "".join(f"P{i}\n" for i in range(100)), encoding="utf-8")
    for i in range(100):
        _jpg(tmp_path / f"P{i}.jpg")
    calls = []
    open_delivery(tmp_path, progress=lambda done, total, message="": calls.append((done, total, message)))
    assert calls[-1] == (100, 100, "checking images")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        open_delivery(tmp_path, cancel=token)


def test_image_cells_with_urls_windows_paths_and_several_names(tmp_path):
    (tmp_path / "list.csv").write_text(
        "Art.-Nr.;EAN;Foto\n"
        "K1;4006381333931;https://cdn.example.com/media/K1%20front.jpg\n"
        "K2;4006381333948;pics\\K2.png, pics\\K2_back.png\n"
        "K3;4006381333955;K3a.webp K3b.webp\n",
        encoding="utf-8",
    )
    _jpg(tmp_path / "K1 front.jpg")
    for name in ("K2.png", "K2_back.png"):
        _jpg(tmp_path / "pics" / name)
    for name in ("K3a.webp", "K3b.webp"):
        _jpg(tmp_path / name)
    delivery = open_delivery(tmp_path)
    assert (delivery.id_column, delivery.image_column) == ("Art.-Nr.", "Foto")
    images = {p.product_id: [im.rel for im in p.images] for p in delivery.products}
    assert images == {
        "K1": ["K1 front.jpg"],
        "K2": ["pics/K2.png", "pics/K2_back.png"],
        "K3": ["K3a.webp", "K3b.webp"],
    }
    assert delivery.rejected_images == [] and delivery.orphan_images == []


def test_a_label_list_beside_the_product_sheet_does_not_make_it_ambiguous(tmp_path):
    """Both sheets point at every image by id, at the same depth; only one names the files."""
    (tmp_path / "labels.csv").write_text("product_id;leaf\nA1;shirts\nA2;dresses\n", encoding="utf-8")
    (tmp_path / "products.csv").write_text("sku,name,image\nA1,Shirt,A1.jpg\nA2,Dress,A2.jpg\n", encoding="utf-8")
    _jpg(tmp_path / "A1.jpg")
    _jpg(tmp_path / "A2.jpg")
    delivery = open_delivery(tmp_path)
    assert delivery.sheet.path.name == "products.csv"
    assert "names the image files" in delivery.sheet.selection


def test_the_sheet_with_far_more_columns_wins_a_tie(tmp_path):
    (tmp_path / "stock.csv").write_text("sku;qty\nA1;3\nA2;5\n", encoding="utf-8")
    (tmp_path / "catalogue.csv").write_text(
        "sku;name;brand;colour;size\nA1;Shirt;Acme;Red;M\nA2;Dress;Acme;Blue;S\n", encoding="utf-8"
    )
    _jpg(tmp_path / "A1.jpg")
    _jpg(tmp_path / "A2.jpg")
    delivery = open_delivery(tmp_path)
    assert delivery.sheet.path.name == "catalogue.csv"
    assert "most columns (5)" in delivery.sheet.selection


def test_photos_named_by_the_barcode_keep_the_article_number_as_the_id(tmp_path):
    rows = [f"SE-{i:03d};{7341461754400 + i};Tröja {i}" for i in range(1, 9)]
    (tmp_path / "p.csv").write_text("Artikelnr;EAN;Benämning\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for i in range(1, 9):
        _jpg(tmp_path / "bilder" / f"{7341461754400 + i}.jpg")
    _jpg(tmp_path / "bilder" / f"{7341461754401}_2.jpg")
    delivery = open_delivery(tmp_path)
    assert (delivery.id_column, delivery.image_key_column) == ("Artikelnr", "EAN")
    assert [im.rel for im in delivery.product("SE-001").images] == [
        "bilder/7341461754401.jpg",
        "bilder/7341461754401_2.jpg",
    ]
    assert delivery.products_without_images == [] and delivery.orphan_images == []
    given = open_delivery(tmp_path, id_column="Artikelnr")  # chosen by hand: the photos still join
    assert given.image_key_column == "EAN" and given.products_without_images == []


def test_an_article_in_several_sizes_keeps_the_barcode_as_the_id(tmp_path):
    """Three sizes of one article, each with its own EAN: the article number is not unique, so it is no id."""
    rows = [f"SE-{i // 3:04d};{7341461754400 + i};Tröja" for i in range(2400)]
    (tmp_path / "p.csv").write_text("Artikelnr;EAN;Benämning\n" + "\n".join(rows) + "\n", encoding="utf-8")
    for i in range(0, 2400, 97):
        _jpg(tmp_path / f"{7341461754400 + i}.jpg")
    delivery = open_delivery(tmp_path)
    assert delivery.id_column == "EAN" and len(delivery.products) == 2400


def test_exact_names_and_product_folders_win_over_unpadded_aliases(tmp_path):
    (tmp_path / "p.csv").write_text("id;name\n123;A\n0123;B\n1;C\nES-1;D\nES-2;E\n", encoding="utf-8")
    for name in ("123.jpg", "0123.jpg", "ES-1/01.jpg", "ES-2/01.jpg", "0001_2.jpg"):
        _jpg(tmp_path / name)
    delivery = open_delivery(tmp_path, id_column="id")
    images = {p.product_id: [im.rel for im in p.images] for p in delivery.products}
    assert images == {
        "123": ["123.jpg"],
        "0123": ["0123.jpg"],
        "1": ["0001_2.jpg"],  # only the alias is left for it
        "ES-1": ["ES-1/01.jpg"],
        "ES-2": ["ES-2/01.jpg"],
    }
