from pathlib import Path

import pytest

from icaam_desktop.core.taxonomy import TaxonomyError, load_taxonomy


def write_schema(
    folder: Path, categories: str, attributes: str = None, options: str = "", assignments: str = ""
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "categories.csv").write_text(categories, encoding="utf-8")
    (folder / "attributes.csv").write_text(
        attributes
        or "code;type;label-en_US;unit\nsku;pim_catalog_identifier;SKU;\ncolour;pim_catalog_simpleselect;Colour;\n"
        "price;pim_catalog_number;Price;EUR\n",
        encoding="utf-8",
    )
    (folder / "attribute_options.csv").write_text("attribute;code;label-en_US\n" + options, encoding="utf-8")
    (folder / "category_attributes.csv").write_text("category;attribute;required\n" + assignments, encoding="utf-8")
    return folder


TREE = "code;parent;label-en_US;label-de_DE\nroot;;Root;Wurzel\nwear;root;Wear;Kleidung\ntops;wear;Tops;Oberteile\nshoes;root;Shoes;Schuhe\n"


def test_real_taxonomy_has_three_levels(taxonomy_dir):
    taxonomy = load_taxonomy(taxonomy_dir)
    assert taxonomy.max_depth == 3
    assert taxonomy.root == "master_catalog"
    if taxonomy_dir.parent.name == "fashion":
        assert [len(taxonomy.level(d)) for d in (1, 2, 3)] == [7, 44, 143]
        assert len(taxonomy.attributes) == 83
        assert taxonomy.identifier.code == "sku"
        tshirts = {ca.attribute.code: ca.required for ca in taxonomy.attributes_for("tshirts")}
        assert tshirts["brand"] is True and "sku" not in tshirts
        assert taxonomy.ancestors("tshirts") == ("apparel", "topwear", "tshirts")


def test_labels_per_locale_and_inheritance(tmp_path):
    schema = write_schema(
        tmp_path / "t",
        TREE,
        options="colour;navy_blue;Navy Blue\ncolour;black;Black\n",
        assignments="wear;colour;1\ntops;price;0\ntops;colour;0\n",
    )
    taxonomy = load_taxonomy(schema)
    assert taxonomy.categories["wear"].labels == {"en_US": "Wear", "de_DE": "Kleidung"}
    assert [c.code for c in taxonomy.leaves()] == ["tops", "shoes"]
    # tops inherits colour from wear but its own assignment (optional) wins.
    attrs = {ca.attribute.code: ca.required for ca in taxonomy.attributes_for("tops")}
    assert attrs == {"colour": False, "price": False}
    assert taxonomy.attributes["colour"].option("navy_blue").label == "Navy Blue"
    assert taxonomy.subtree("wear") == ["wear", "tops"]


def test_cycle_is_reported_with_file_and_line(tmp_path):
    schema = write_schema(tmp_path / "t", "code;parent;label-en_US\nroot;;Root\na;c;A\nb;a;B\nc;b;C\n")
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(schema)
    messages = [str(i) for i in err.value.issues]
    assert any(m.startswith("categories.csv:") and "cycle" in m for m in messages), messages


def test_unknown_parent_and_duplicate_code(tmp_path):
    schema = write_schema(tmp_path / "t", "code;parent;label-en_US\nroot;;Root\na;root;A\nb;ghost;B\na;root;A again\n")
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(schema)
    text = "\n".join(str(i) for i in err.value.issues)
    assert "categories.csv:4: category 'b' has unknown parent 'ghost'" in text
    assert "categories.csv:5: duplicate category code 'a' (first on line 3)" in text


def test_options_for_unknown_attribute_and_missing_required_attribute(tmp_path):
    schema = write_schema(
        tmp_path / "t", TREE, options="colour;red;Red\nfarbe;rot;Rot\n", assignments="tops;colour;1\ntops;sleeve;1\n"
    )
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(schema)
    text = "\n".join(str(i) for i in err.value.issues)
    assert "attribute_options.csv:3: option 'rot' for unknown attribute 'farbe'" in text
    assert "category_attributes.csv:3: required attribute 'sleeve' of 'tops' does not exist" in text


def test_missing_files_are_named(tmp_path):
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(tmp_path)
    assert {i.file for i in err.value.issues} == {"categories.csv", "attributes.csv"}


def test_display_labels_and_paths_fall_back_to_the_code(tmp_path):
    taxonomy = load_taxonomy(write_schema(tmp_path / "t", TREE))
    assert taxonomy.label_of("tops") == "Tops"
    assert taxonomy.path_label("tops") == "Wear > Tops"
    assert taxonomy.path_label("tops", sep=" › ") == "Wear › Tops"
    assert taxonomy.label_of("gone") == "gone" and taxonomy.path_label("gone") == "gone"
