"""`icaam train` argument checks that must fail fast, before any photo is decoded."""

from __future__ import annotations

from icaam_desktop.cli import main


def test_init_folder_without_a_model_is_a_usage_error(fashion, taxonomy_dir, tmp_path, capsys):
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    code = main(["train", str(fashion / "catalog"), "--taxonomy", str(taxonomy_dir), "--init", str(empty)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--init" in err and "model_card.json" in err
    assert not list(tmp_path.glob("**/checkpoint.pt"))
