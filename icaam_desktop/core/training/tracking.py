"""MLflow tracking of training runs, the model registry, and which model the app uses ("active model").

Local by default: a SQLite store ``mlflow.db`` in the user data directory with artifacts next to it
(``mlartifacts/``), never ``./mlruns`` in the working directory: every experiment is created with
an explicit artifact location, and only explicit ``MlflowClient`` objects are used (no global
``mlflow.set_tracking_uri`` state). The tracking URI can be overridden per call (``--tracking-uri``),
by ``ICAAM_TRACKING_URI`` or by the ``mlflow_tracking_uri`` setting, e.g. a team's MLflow server.

mlflow is imported lazily (it costs seconds): importing this module is cheap, and
``active_model_dir`` never needs mlflow at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from icaam_desktop import __version__, paths
from icaam_desktop.core.errors import IcaamError

DEFAULT_EXPERIMENT = "icaam-classifier"
REGISTERED_MODEL = "icaam-classifier"
MODEL_ARTIFACT = "model"
ACTIVE_MODEL_FILE = "active_model.json"
ENV_TRACKING_URI = "ICAAM_TRACKING_URI"
MAX_PARAM_CHARS = 6000  # MLflow's limit on a parameter value
KEEP_ACTIVE_COPIES = 2  # the active model and the one before it (a running app may still hold it)

STATUS_FINISHED, STATUS_FAILED, STATUS_KILLED = "FINISHED", "FAILED", "KILLED"
# A desktop app must not wait minutes on a tracking server that is down: MLflow's defaults retry an
# HTTP request 7 times with back-off and wait 120 s for each. The user's own settings of these win.
HTTP_RETRIES, HTTP_TIMEOUT_S = "2", "20"


class TrackingError(IcaamError):
    """The tracking store cannot be used (a server that is down, a file that is not an MLflow store)."""


def _store_problem(uri: str, exc: BaseException) -> TrackingError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return TrackingError(f"cannot use the MLflow tracking store {uri}: {first[:300]}")


def default_tracking_uri() -> str:
    """``sqlite:///<user data dir>/mlflow.db``."""
    return f"sqlite:///{(paths.user_data_dir() / 'mlflow.db').as_posix()}"


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """The URI to use: the argument, else ``ICAAM_TRACKING_URI``, else the setting, else the local default."""
    if tracking_uri:
        return tracking_uri
    if os.environ.get(ENV_TRACKING_URI):
        return os.environ[ENV_TRACKING_URI]
    from icaam_desktop.core.settings import load_settings

    return load_settings().mlflow_tracking_uri or default_tracking_uri()


def _artifact_root(uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: next to a local SQLite file; the server's choice otherwise."""
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///") :])
        return (db.parent / "mlartifacts").resolve().as_uri()
    if "://" not in uri or uri.startswith("file:"):
        root = Path(url2pathname(urlparse(uri).path)) if uri.startswith("file:") else Path(uri)
        return (root.resolve() / "artifacts").as_uri()
    return None


def local_path(uri: str) -> Path | None:
    """The local folder behind an artifact URI, or None when it lives on a server."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(url2pathname(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):  # a plain (Windows) path
        return Path(uri)
    return None


def _client(uri: str):
    for name in ("mlflow", "alembic"):  # "Creating initial MLflow database tables..." is not news to a user
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", HTTP_RETRIES)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", HTTP_TIMEOUT_S)
    from mlflow.tracking import MlflowClient

    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client, name: str, uri: str) -> str:
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(name, artifact_location=_artifact_root(uri))
    except MlflowException:  # created meanwhile by another process
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id


def dataset_fingerprint(items: Iterable[tuple[str, str]]) -> str:
    """A short hash of (product id, label) pairs, order-free: two runs on the same data share it."""
    digest = hashlib.sha256()
    for sku, label in sorted(items):
        digest.update(f"{sku}\t{label}\n".encode())
    return digest.hexdigest()[:16]


def _now_ms() -> int:
    return int(time.time() * 1000)


class RunTracker:
    """One MLflow run. Use as a context manager: an exception ends it FAILED, a cancel or Ctrl-C KILLED."""

    def __init__(self, client, run_id: str, tracking_uri: str) -> None:
        self._client = client
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self.status: str | None = None  # set once finished
        self.model_version: str | None = None

    @property
    def artifact_uri(self) -> str:
        return self._client.get_run(self.run_id).info.artifact_uri

    def log_params(self, params: Mapping[str, Any]) -> None:
        from mlflow.entities import Param

        items = [Param(str(k), str(v)[:MAX_PARAM_CHARS]) for k, v in params.items()]
        for start in range(0, len(items), 100):
            self._client.log_batch(self.run_id, params=items[start : start + 100])

    def log_metrics(self, metrics: Mapping[str, float], *, step: int | None = None) -> None:
        """Scalar metrics (None values are skipped); ``step`` is the epoch for per-epoch curves."""
        from mlflow.entities import Metric

        stamp = _now_ms()
        items = [Metric(str(k), float(v), stamp, step or 0) for k, v in metrics.items() if v is not None]
        for start in range(0, len(items), 500):
            self._client.log_batch(self.run_id, metrics=items[start : start + 500])

    def log_epoch(self, epoch: int, metrics: Mapping[str, float]) -> None:
        """Per-epoch values, e.g. ``train_loss``, ``val_level2_accuracy``; MLflow plots them over ``epoch``."""
        self.log_metrics(metrics, step=epoch)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self._client.set_tag(self.run_id, str(key), str(value))

    def log_artifact(self, path: str | Path, *, artifact_path: str | None = None) -> None:
        """A file, or a folder's contents, under ``artifact_path``."""
        path = Path(path)
        if path.is_dir():
            self._client.log_artifacts(self.run_id, str(path), artifact_path)
        else:
            self._client.log_artifact(self.run_id, str(path), artifact_path)

    def log_evaluation(self, result: Mapping, *, prefix: str = "", out_dir: str | Path | None = None) -> list[Path]:
        """An ``evaluate`` result: its flat metrics (``prefix`` + name), metrics.json and the PNG plots."""
        import tempfile

        from icaam_desktop.core.training.metrics import flat_metrics
        from icaam_desktop.core.training.plots import write_report

        self.log_metrics({f"{prefix}{k}": v for k, v in flat_metrics(result).items()})
        with tempfile.TemporaryDirectory(prefix="icaam-eval-") as tmp:
            written = write_report(result, out_dir or tmp, title=prefix.rstrip("_"))
            self.log_artifact(Path(out_dir or tmp), artifact_path=f"{prefix}evaluation".strip("_"))
        return written if out_dir else []

    def log_training_curves(self, history, *, name: str = "training_curves.png") -> None:
        """A loss/accuracy-per-epoch PNG (``plots.training_curves_png``) as an artifact of the run."""
        import tempfile

        from icaam_desktop.core.training.plots import training_curves_png

        with tempfile.TemporaryDirectory(prefix="icaam-curves-") as tmp:
            self.log_artifact(training_curves_png(history, Path(tmp) / name))

    def log_model(self, model_dir: str | Path, *, register_as: str | None = REGISTERED_MODEL) -> str | None:
        """The model folder (safetensors + card) as the ``model`` artifact, registered as a new version.

        Returns the registered version, or None when not registering or the registry refused (the
        reason is kept in the run's ``icaam.registry_error`` tag: a registry problem never loses a run).
        """
        from mlflow.exceptions import MlflowException

        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise FileNotFoundError(f"model folder {model_dir} does not exist")
        self._client.log_artifacts(self.run_id, str(model_dir), MODEL_ARTIFACT)
        if not register_as:
            return None
        try:
            try:
                self._client.get_registered_model(register_as)
            except MlflowException:
                self._client.create_registered_model(register_as, description="ICaAM hierarchical product classifier")
            version = self._client.create_model_version(
                register_as,
                source=f"{self.artifact_uri}/{MODEL_ARTIFACT}",
                run_id=self.run_id,
                tags={"app_version": __version__},
            )
        except MlflowException as exc:
            self.set_tags({"icaam.registry_error": str(exc)[:500]})
            return None
        self.model_version = str(version.version)
        self.set_tags({"icaam.registered_model": register_as, "icaam.model_version": self.model_version})
        return self.model_version

    def finish(self, status: str = STATUS_FINISHED) -> None:
        """End the run once; later calls do nothing."""
        if self.status is None:
            self._client.set_terminated(self.run_id, status)
            self.status = status

    def __enter__(self) -> RunTracker:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        from icaam_desktop.core.jobs import Cancelled

        if exc_type is None:
            self.finish(STATUS_FINISHED)
        elif issubclass(exc_type, KeyboardInterrupt | Cancelled):
            self.finish(STATUS_KILLED)
        else:
            self.finish(STATUS_FAILED)
        return False


def start_run(
    *,
    tracking_uri: str | None,
    experiment: str = DEFAULT_EXPERIMENT,
    run_name: str,
    params: Mapping[str, Any],
    dataset_fingerprint: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> RunTracker:
    """Open a run in ``experiment`` (created with a local artifact folder when missing) and log ``params``.

    The app version and the dataset fingerprint are logged as parameters and tags. Raises
    ``TrackingError`` when the store cannot be used.
    """
    uri = resolve_tracking_uri(tracking_uri)
    try:
        return _start_run(uri, experiment, run_name, params, dataset_fingerprint, tags)
    except IcaamError:
        raise
    except Exception as exc:  # MLflow's, SQLAlchemy's, requests' errors: one kind for the faces
        raise _store_problem(uri, exc) from exc


def _start_run(uri, experiment, run_name, params, dataset_fingerprint, tags) -> RunTracker:
    client = _client(uri)
    experiment_id = _experiment_id(client, experiment, uri)
    all_tags = {"mlflow.source.name": "icaam", "mlflow.source.type": "LOCAL", "icaam.app_version": __version__}
    if dataset_fingerprint:
        all_tags["icaam.dataset_fingerprint"] = dataset_fingerprint
    all_tags.update({str(k): str(v) for k, v in (tags or {}).items()})
    run = client.create_run(experiment_id, run_name=run_name, tags=all_tags)
    tracker = RunTracker(client, run.info.run_id, uri)
    extra = {"app_version": __version__}
    if dataset_fingerprint:
        extra["dataset_fingerprint"] = dataset_fingerprint
    tracker.log_params({**params, **extra})
    return tracker


@contextmanager
def tracked_run(
    *,
    tracking: bool = True,
    tracking_uri: str | None = None,
    run_name: str,
    params: Mapping[str, Any],
    tags: Mapping[str, Any] | None = None,
    dataset: Iterable[tuple[str, str]] | None = None,
    progress=None,
) -> Iterator[RunTracker | None]:
    """A run for one training job, or None: the job runs untracked when tracking is off or the store is
    unusable (``progress`` says why: a tracking problem never costs a training run). The run ends
    FINISHED, KILLED (cancel, Ctrl-C) or FAILED with the job. ``dataset``: (sku, leaf) pairs to fingerprint.
    """
    tracker = None
    if tracking:
        try:
            tracker = start_run(
                tracking_uri=tracking_uri or None,
                run_name=run_name,
                params=params,
                dataset_fingerprint=dataset_fingerprint(dataset) if dataset is not None else None,
                tags=tags,
            )
        except Exception as exc:  # noqa: BLE001 - training without tracking beats no training
            note = f"training without MLflow tracking ({exc})"
            # A warning, not only a progress message: a log keeps it (progress lines there are throttled).
            logging.getLogger("icaam").warning(note)
            if progress is not None:
                progress(0, None, note)
    if tracker is None:
        yield None
        return
    with tracker:
        yield tracker


def train_tracked(
    *,
    tracking: bool = True,
    tracking_uri: str | None = None,
    run_name: str,
    params: dict,
    tags: dict | None = None,
    **train_kwargs,
):
    """``train_classifier`` inside an MLflow run (``tracked_run``): the one way the CLI and the
    window train."""
    from icaam_desktop.core.training.data import load_catalog
    from icaam_desktop.core.training.train import train_classifier

    dataset = None
    if tracking:
        items = load_catalog(train_kwargs["catalog"], taxonomy=train_kwargs["taxonomy"]).items
        dataset = [(it.sku, it.leaf) for it in items]
    with tracked_run(
        tracking=tracking,
        tracking_uri=tracking_uri,
        run_name=run_name,
        params=params,
        tags=tags,
        dataset=dataset,
        progress=train_kwargs.get("progress"),
    ) as tracker:
        return train_classifier(tracker=tracker, **train_kwargs)


# ----------------------------------------------------------------------------- the model picker


@dataclass
class RunSummary:
    """One tracked run as the GUI's model picker shows it."""

    run_id: str
    name: str
    status: str
    start_time: datetime | None
    end_time: datetime | None
    metrics: dict[str, float] = field(default_factory=dict)  # latest value of each
    params: dict[str, str] = field(default_factory=dict)
    model_dir: Path | None = None  # the local model artifact folder, None if absent or remote
    model_version: str | None = None  # registered version, if any
    artifact_uri: str = ""


def _time(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None


def _model_dir(artifact_uri: str) -> Path | None:
    root = local_path(artifact_uri)
    if root is None:
        return None
    folder = root / MODEL_ARTIFACT
    return folder if folder.is_dir() else None


def list_runs(
    *, tracking_uri: str | None = None, experiment: str = DEFAULT_EXPERIMENT, max_results: int = 500
) -> list[RunSummary]:
    """The experiment's runs, newest first (an unknown experiment has none); ``TrackingError`` if unusable."""
    uri = resolve_tracking_uri(tracking_uri)
    try:
        return _list_runs(uri, experiment, max_results)
    except IcaamError:
        raise
    except Exception as exc:
        raise _store_problem(uri, exc) from exc


def _list_runs(uri: str, experiment: str, max_results: int) -> list[RunSummary]:
    client = _client(uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    runs = client.search_runs([found.experiment_id], order_by=["attributes.start_time DESC"], max_results=max_results)
    return [
        RunSummary(
            run_id=run.info.run_id,
            name=run.info.run_name or run.info.run_id[:8],
            status=run.info.status,
            start_time=_time(run.info.start_time),
            end_time=_time(run.info.end_time),
            metrics=dict(run.data.metrics),
            params=dict(run.data.params),
            model_dir=_model_dir(run.info.artifact_uri),
            model_version=run.data.tags.get("icaam.model_version"),
            artifact_uri=run.info.artifact_uri,
        )
        for run in runs
    ]


def _active_file() -> Path:
    return paths.user_data_dir() / ACTIVE_MODEL_FILE


# What an activation copies: the weights, the card, and the small reports a training run writes next
# to them (plots, metrics). Never subfolders or other files: a folder named by mistake (a home
# directory, /tmp) must not be copied whole.
_MODEL_FILE_SUFFIXES = (".png", ".json")


def _check_model_dir(folder: Path) -> None:
    from icaam_desktop.core.classify.model_io import CARD_FILE, WEIGHTS_FILE, ModelError, read_card

    missing = [name for name in (WEIGHTS_FILE, CARD_FILE) if not (folder / name).is_file()]
    if missing:
        raise ValueError(f"{folder} is not a model folder: it has no {' and no '.join(missing)}")
    try:
        read_card(folder)
        from safetensors import safe_open

        with safe_open(str(folder / WEIGHTS_FILE), framework="pt") as handle:  # the header only: cheap
            if not list(handle.keys()):  # noqa: SIM118 - safe_open has no __iter__
                raise ModelError(f"{folder / WEIGHTS_FILE} holds no tensors")
    except ModelError as exc:
        raise ValueError(str(exc)) from exc
    except Exception as exc:  # a truncated or foreign weights file
        raise ValueError(f"{folder / WEIGHTS_FILE} is not readable safetensors weights: {exc}") from exc


def _model_files(folder: Path) -> list[Path]:
    from icaam_desktop.core.classify.model_io import CARD_FILE, WEIGHTS_FILE

    return [
        path
        for path in sorted(folder.iterdir())
        if path.is_file() and (path.name in (WEIGHTS_FILE, CARD_FILE) or path.suffix in _MODEL_FILE_SUFFIXES)
    ]


def activate_model(source: str | Path, *, tracking_uri: str | None = None) -> Path:
    """Make a model the one the app and CLI use; return its copy in the user data dir.

    ``source`` is a model folder or the id of a tracked run with a model artifact. The model's files
    are copied (the tracking store may be cleaned up later) and recorded in ``active_model.json``.
    A failure leaves no partial copy and keeps the previous model active.
    """
    models = paths.user_data_dir() / "models"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    run_id = None
    folder = Path(source)
    download_tmp = models / f".download-{stamp}"
    staging = models / f".staging-{stamp}"
    try:
        if not folder.is_dir():
            run_id = str(source)
            folder = _run_model_dir(run_id, tracking_uri, download_tmp)
        _check_model_dir(folder)
        staging.mkdir(parents=True)
        for path in _model_files(folder):
            shutil.copy2(path, staging / path.name)
        dest = models / f"active-{stamp}"
        staging.rename(dest)
    finally:
        shutil.rmtree(download_tmp, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    record = {
        "model_dir": str(dest),
        "source": str(source),
        "run_id": run_id,
        "activated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = _active_file().with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, _active_file())
    for old in sorted(models.glob("active-*"))[:-KEEP_ACTIVE_COPIES]:
        shutil.rmtree(old, ignore_errors=True)
    return dest


def _run_model_dir(run_id: str, tracking_uri: str | None, download_tmp: Path) -> Path:
    """The model folder of a tracked run: its local artifact folder, or a download of it into ``download_tmp``."""
    from mlflow.exceptions import MlflowException

    uri = resolve_tracking_uri(tracking_uri)
    client = _client(uri)
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise ValueError(f"{run_id!r} is neither a model folder nor a run in {uri}") from exc
    found = _model_dir(run.info.artifact_uri)
    if found is not None:
        return found
    download_tmp.mkdir(parents=True)  # remote artifacts (or none): fetch them
    try:
        return Path(client.download_artifacts(run_id, MODEL_ARTIFACT, str(download_tmp)))
    except MlflowException as exc:
        raise ValueError(f"run {run_id} has no model artifact") from exc


def active_model_info() -> dict | None:
    """The ``active_model.json`` record, or None when no model was activated (or its folder is gone)."""
    try:
        record = json.loads(_active_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not Path(str(record.get("model_dir", ""))).is_dir():
        return None
    return record


def active_model_dir() -> Path | None:
    """The activated model's folder; None means: use the shipped ``models/default``."""
    record = active_model_info()
    return Path(record["model_dir"]) if record else None


def deactivate_model() -> None:
    """Go back to the shipped default model."""
    _active_file().unlink(missing_ok=True)
