from pathlib import Path

from icaam_desktop.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_activate_list_and_deactivate_a_model_folder(capsys):
    assert main(["models", "list"]) == 0
    assert "shipped default" in capsys.readouterr().out

    assert main(["models", "activate", str(REPO / "models" / "default")]) == 0
    active = capsys.readouterr().out.strip().removeprefix("active model: ")
    assert (Path(active) / "model.safetensors").is_file()
    assert main(["models", "list"]) == 0
    assert active in capsys.readouterr().out

    assert main(["models", "deactivate"]) == 0
    assert main(["models", "list"]) == 0
    assert "shipped default" in capsys.readouterr().out


def test_activating_something_that_is_no_model_is_a_usage_error(tmp_path, capsys):
    assert main(["models", "activate", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
