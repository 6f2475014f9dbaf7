"""The user's settings: a small JSON file in the user config directory.

Qt-free so the CLI and the self-test read the same settings as the app. Window geometry is not
kept here (the GUI uses QSettings for that alone). A corrupt or half-written file never stops the
app: ``load`` falls back to defaults and says why in ``Settings.problems``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from icaam_desktop import paths
from icaam_desktop.core.errors import IcaamError

DEVICES = ("auto", "cpu", "cuda")
MAX_BATCH_SIZE = 4096


class SettingsError(IcaamError, ValueError):
    """A settings value that cannot be used; the message names the field and the fix."""


@dataclass
class Settings:
    model_path: str = ""  # empty = the shipped default model
    device: str = "auto"  # auto | cpu | cuda
    batch_size: int = 32
    # Per-level confidence thresholds overriding the model card's (empty = the model's own).
    thresholds: list[float] = field(default_factory=list)
    embedding_model: str = ""  # a sentence-transformers folder; empty = the bundled all-MiniLM-L6-v2
    mlflow_tracking_uri: str = ""  # empty = the local SQLite store in the user data dir
    last_workspace: str = ""
    last_delivery: str = ""
    last_catalog: str = ""  # the labelled catalogue last used to train, evaluate or audit
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    def validate(self) -> None:
        """Raise SettingsError on the first value that cannot be used."""
        if self.device not in DEVICES:
            raise SettingsError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if not isinstance(self.batch_size, int) or isinstance(self.batch_size, bool):
            raise SettingsError(f"batch size must be a whole number, not {self.batch_size!r}")
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise SettingsError(f"batch size must be between 1 and {MAX_BATCH_SIZE}, not {self.batch_size}")
        for value in self.thresholds:
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                raise SettingsError(f"each threshold must be a number between 0 and 1, not {value!r}")
        if self.model_path and not Path(self.model_path).exists():
            raise SettingsError(f"model path {self.model_path} does not exist")
        if self.embedding_model and not Path(self.embedding_model).is_dir():
            raise SettingsError(f"embedding model folder {self.embedding_model} does not exist")

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("problems")
        return data


def settings_path() -> Path:
    return paths.user_config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings, or defaults. Unknown keys are ignored; bad values fall back one by one."""
    path = path or settings_path()
    settings = Settings()
    if not path.exists():
        return settings
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        settings.problems.append(f"{path} could not be read ({exc}); using defaults")
        return settings
    if not isinstance(data, dict):
        settings.problems.append(f"{path} does not hold a JSON object; using defaults")
        return settings
    known = {f.name for f in fields(Settings)} - {"problems"}
    for key, value in data.items():
        if key not in known:
            continue
        previous = getattr(settings, key)
        setattr(settings, key, value)
        try:
            settings.validate()
        except SettingsError as exc:
            setattr(settings, key, previous)
            settings.problems.append(f"{key}: {exc}; using {previous!r}")
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Validate, then write atomically (a crash mid-write never leaves a half file)."""
    settings.validate()
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(settings.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
