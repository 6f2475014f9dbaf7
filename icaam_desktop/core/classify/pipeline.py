"""The fast inference pipeline: decode in worker processes, overlap with batched inference.

Workers decode with ``core.images.open_rgb`` (format from content, EXIF transpose, CMYK /
16-bit / palette / alpha handled, pixel limit) using JPEG draft mode, so a 1080x1440 JPEG
is decoded at 1/4 scale straight from the DCT, then squash it to the model's square input
(the catalogue photos were made that way) and hand over uint8 tensors (4x less to copy
than float). The main process moves each batch to the device (pinned memory,
non-blocking), normalises there, runs the backbone in ``channels_last`` under bf16
autocast on CUDA (fp32 in slices of 8 rows on the CPU, where bf16 does not pay), and
keeps going while the workers decode the next batches.

On CUDA, JPEGs can instead be decoded by nvJPEG (``gpu_decode=True``): workers then only
read the file bytes and check the header; files nvJPEG should not take (EXIF rotated,
CMYK, progressive, not JPEG, too large) still go through ``open_rgb`` in the worker.

A failed image never stops the run: its row is zero and its ``ImageRejected`` is returned.
A CUDA out-of-memory error halves the batch and carries on (``run_in_chunks``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from icaam_desktop.core.classify.compiled import is_warm, run_compiled, should_compile
from icaam_desktop.core.jobs import CancelToken, Progress, no_progress

_EXIF_ORIENTATION = 0x0112


def is_oom(exc: BaseException) -> bool:
    """True for a CUDA (or other accelerator) out-of-memory error."""
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def run_in_chunks(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    chunk: int,
    on_shrink: Callable[[int], None] | None = None,
) -> tuple[torch.Tensor, int]:
    """``fn`` over ``x`` in slices of ``chunk`` rows; an OOM halves the slice and retries.

    Returns the concatenated output and the chunk size that worked (callers keep using it).
    Raises the OOM only when even a single row does not fit.
    """
    outputs: list[torch.Tensor] = []
    start = 0
    while start < x.shape[0]:
        part = x[start : start + chunk]
        try:
            outputs.append(fn(part))
        except Exception as exc:
            if not is_oom(exc) or chunk == 1:
                raise
            chunk = max(1, chunk // 2)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if on_shrink is not None:
                on_shrink(chunk)
            continue
        start += part.shape[0]
    return torch.cat(outputs) if outputs else x.new_zeros((0,)), chunk


def _nvjpeg_friendly(data: bytes, max_pixels: int) -> bool:
    """A baseline RGB/grey JPEG, upright, within the pixel limit (else the CPU decoder takes it)."""
    if data[:3] != b"\xff\xd8\xff":
        return False
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "JPEG" or img.mode not in ("RGB", "L") or img.info.get("progressive"):
                return False
            if img.width * img.height > max_pixels:
                return False
            return int(img.getexif().get(_EXIF_ORIENTATION, 1) or 1) == 1
    except Exception:
        return False


class ImageFolderDataset(Dataset):
    """Paths -> (index, uint8 square tensor | None, raw JPEG bytes | None, (verdict, reason) | None)."""

    def __init__(self, paths: Sequence[Path], *, size: int, gpu_decode: bool = False) -> None:
        self.paths = [Path(p) for p in paths]
        self.size = size
        self.gpu_decode = gpu_decode

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        from icaam_desktop.core.images import MAX_PIXELS, ImageRejected

        path = self.paths[index]
        if self.gpu_decode:
            try:
                data = path.read_bytes()
            except OSError:
                data = b""
            if data and _nvjpeg_friendly(data, MAX_PIXELS):
                return index, None, np.frombuffer(data, dtype=np.uint8), None
        try:
            return index, decode_to_tensor(path, self.size), None, None
        except ImageRejected as exc:
            return index, None, None, (exc.verdict, exc.reason)
        except Exception as exc:  # a decoder bug must not stop a 10,000-image run
            return index, None, None, ("unreadable", f"cannot decode: {exc}")


def collate_items(items: list) -> tuple:
    """Runs in the worker: ONE pixel tensor, ONE byte blob (+ lengths) and the errors per batch.

    Few large tensors cross the process boundary instead of one per image (each tensor
    sent between processes costs a shared-memory segment and a file descriptor).
    """
    pix = [(i, t) for i, t, _, _ in items if t is not None]
    jpg = [(i, b) for i, _, b, _ in items if b is not None]
    errors = [(i, e[0], e[1]) for i, _, _, e in items if e is not None]
    pixels = torch.stack([t for _, t in pix]) if pix else torch.zeros((0,), dtype=torch.uint8)
    blob = torch.from_numpy(np.concatenate([b for _, b in jpg])) if jpg else torch.zeros((0,), dtype=torch.uint8)
    return (
        torch.tensor([i for i, _ in pix], dtype=torch.long),
        pixels,
        torch.tensor([i for i, _ in jpg], dtype=torch.long),
        blob,
        torch.tensor([len(b) for _, b in jpg], dtype=torch.long),
        errors,
    )


def decode_to_tensor(path: Path, size: int) -> torch.Tensor:
    """Safe decode (draft JPEG), squash to ``size`` x ``size``, uint8 CHW tensor."""
    from PIL import Image

    from icaam_desktop.core.images import open_rgb

    img = open_rgb(path, min_side=size)
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    arr = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous()


CPU_FORWARD_ROWS = 8  # rows per forward call on the CPU (see embed_images)


@dataclass
class PipelineOptions:
    """How to run inference; ``autocast`` None = bf16 on CUDA, fp32 on the CPU.

    On the CPU, bf16 autocast was measured slower than fp32 on the project's AVX-512 VM in every quiet
    run (bf16 is emulated without AVX512-BF16/AMX), see docs/benchmarks/classify.md. ``channels_last``
    (weights and inputs) pays on both devices: with contiguous weights the CPU ran 0.6-0.8x as fast.
    """

    batch_size: int = 64
    num_workers: int | None = None  # None = a sensible default for the device
    channels_last: bool = True
    autocast: bool | None = None
    gpu_decode: bool = False  # nvJPEG for JPEGs (CUDA only)
    compile: bool | None = None  # torch.compile the backbone; None = where it pays (compiled.should_compile)


def default_workers(device: torch.device) -> int:
    cores = os.cpu_count() or 1
    return min(12, max(2, cores - 2)) if device.type == "cuda" else max(1, min(4, cores))


def _gpu_decode(jpegs: list[torch.Tensor], size: int, device: torch.device) -> list[torch.Tensor | None]:
    """nvJPEG-decode a batch of JPEG byte tensors and squash each to ``size`` (float 0..255); None where it failed."""
    from torchvision.io import ImageReadMode, decode_jpeg

    # nvJPEG writes its outputs on a private stream without waiting for the caller's stream, and the
    # caching allocator hands it blocks that kernels still queued there (the previous batch's forward
    # pass, its freed float temporaries) have yet to read: those kernels then read decoded pixels of
    # other photos. Nothing may be in flight when it starts (pytorch/vision#9606, torchcodec#1634).
    # This is the likely cause of the 79.5% agreement measured on the H200 before this barrier.
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    try:
        decoded = decode_jpeg(jpegs, mode=ImageReadMode.RGB, device=device)
    except Exception:
        decoded = []
        for d in jpegs:
            try:
                decoded.append(decode_jpeg(d, mode=ImageReadMode.RGB, device=device))
            except Exception:
                decoded.append(None)
    by_shape: dict[tuple[int, int], list[int]] = {}
    for k, img in enumerate(decoded):
        if img is not None:
            by_shape.setdefault(tuple(img.shape[-2:]), []).append(k)
    out: list[torch.Tensor | None] = [None] * len(jpegs)
    for shape, ks in by_shape.items():
        for s in range(0, len(ks), 64):  # bounded float temporaries for large photos
            part = ks[s : s + 64]
            stack = torch.stack([decoded[k] for k in part]).float()
            if shape != (size, size):
                stack = F.interpolate(stack, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            for j, k in enumerate(part):
                out[k] = stack[j]
    return out


def embed_images(
    model: torch.nn.Module,
    paths: Sequence[Path],
    *,
    device: torch.device,
    size: int,
    mean: Sequence[float],
    std: Sequence[float],
    options: PipelineOptions | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, list[object | None]]:
    """Pooled backbone features for every path (zeros where rejected) and the per-path rejection (or None).

    ``model`` must have ``forward_features`` (a ``HierarchicalClassifier``) or be a backbone.
    """
    from icaam_desktop.core.images import ImageRejected

    opts = options or PipelineOptions()
    features = getattr(model, "forward_features", model)
    on_cuda = device.type == "cuda"
    use_amp = opts.autocast if opts.autocast is not None else on_cuda
    gpu_decode = opts.gpu_decode and on_cuda
    workers = default_workers(device) if opts.num_workers is None else opts.num_workers
    dataset = ImageFolderDataset(paths, size=size, gpu_decode=gpu_decode)
    loader = DataLoader(
        dataset,
        batch_size=opts.batch_size,
        shuffle=False,
        num_workers=workers,
        collate_fn=collate_items,
        pin_memory=device.type == "cuda",
        prefetch_factor=4 if workers > 0 else None,
    )
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    mean_t = torch.tensor(mean, device=device).view(1, 3, 1, 1) * 255.0
    std_t = torch.tensor(std, device=device).view(1, 3, 1, 1) * 255.0
    errors: list[object | None] = [None] * len(dataset)
    # On the CPU, small forward slices keep lite0's activations in cache: batch 8 ran 1.4-1.5x faster
    # than batch 64 on the 2-core AVX-512 VM (docs/benchmarks/classify.md); the loader batch is unchanged.
    chunk = opts.batch_size if on_cuda else min(opts.batch_size, CPU_FORWARD_ROWS)
    done = 0
    use_compile = should_compile(opts.compile, device, len(dataset))
    parts: list[tuple[torch.Tensor, torch.Tensor]] = []  # (indices, features) kept on the device until the end

    def forward(x: torch.Tensor) -> torch.Tensor:
        x = (x.float() - mean_t) / std_t
        if opts.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            if use_compile:
                if not is_warm(model):
                    progress(done, len(dataset), "optimising the model for this machine (first run: about a minute)")
                out = run_compiled(model, features, x, rows=chunk)
                if out is not None:
                    return out.float()
            return features(x).float()

    with torch.inference_mode():
        for pix_idx, pixels, jpg_idx, blob, lengths, errs in loader:
            if cancel is not None:
                cancel.raise_if_cancelled()
            for i, verdict, reason in errs:
                errors[i] = ImageRejected(verdict, reason)
            if pix_idx.numel():
                x = pixels.to(device, non_blocking=True)
                feats, chunk = run_in_chunks(forward, x, chunk=chunk)
                parts.append((pix_idx, feats))
            if jpg_idx.numel():
                jpegs = list(torch.split(blob, lengths.tolist()))
                decoded = _gpu_decode(jpegs, size, device)
                rows, tensors = [], []
                for k, tensor in enumerate(decoded):
                    index = int(jpg_idx[k])
                    if tensor is None:  # nvJPEG refused it: decode on the CPU instead
                        try:
                            tensor = decode_to_tensor(dataset.paths[index], size).to(device)
                        except ImageRejected as exc:
                            errors[index] = exc
                            continue
                    rows.append(index)
                    tensors.append(tensor)
                if tensors:
                    feats, chunk = run_in_chunks(forward, torch.stack([t.float() for t in tensors]), chunk=chunk)
                    parts.append((torch.tensor(rows, dtype=torch.long), feats))
            done += int(pix_idx.numel() + jpg_idx.numel() + len(errs))
            progress(done, len(dataset), "classifying images")
    out = None
    if parts:
        feats_all = torch.cat([f for _, f in parts]).cpu().numpy()
        order = torch.cat([i for i, _ in parts]).numpy()
        out = np.zeros((len(dataset), feats_all.shape[1]), dtype=np.float32)
        out[order] = feats_all
    if out is None:
        dim = int(getattr(model, "num_features", 0) or getattr(getattr(model, "backbone", None), "num_features", 0))
        out = np.zeros((len(dataset), dim), dtype=np.float32)
    return out, errors
