from icaam_desktop.cli import main


def test_taxonomy_check_prints_levels(taxonomy_dir, capsys):
    assert main(["taxonomy", "check", str(taxonomy_dir)]) == 0
    out = capsys.readouterr().out
    assert "level 1:" in out and "level 3:" in out


def test_taxonomy_check_bad_folder_is_usage_error(tmp_path, capsys):
    assert main(["taxonomy", "check", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_taxonomy_check_invalid_schema_exits_1(tmp_path, capsys):
    (tmp_path / "categories.csv").write_text("code;parent\nroot;\na;zzz\n")
    (tmp_path / "attributes.csv").write_text("code;type\nsku;pim_catalog_identifier\n")
    assert main(["taxonomy", "check", str(tmp_path)]) == 1
    assert "categories.csv:3" in capsys.readouterr().err
