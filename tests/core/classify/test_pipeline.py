"""The pipeline's batching pieces on the CPU: worker-side collation, the nvJPEG routing and the GPU-decode resize."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from icaam_desktop.core.classify.pipeline import (
    ImageFolderDataset,
    _gpu_decode,
    collate_items,
    decode_to_tensor,
)

from .conftest import DEMO


def test_jpeg_bytes_travel_as_one_blob_and_other_files_are_decoded_in_the_worker(tmp_path):
    jpegs = sorted((DEMO / "images").glob("*.jpg"))[:3]
    png = tmp_path / "photo.png"
    Image.open(jpegs[0]).save(png)
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.open(jpegs[0]).rotate(90, expand=True).save(rotated, exif=exif)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    paths = [*jpegs, png, rotated, empty]
    ds = ImageFolderDataset(paths, size=224, gpu_decode=True)
    pix_idx, pixels, jpg_idx, blob, lengths, errors = collate_items([ds[i] for i in range(len(paths))])
    assert jpg_idx.tolist() == [0, 1, 2]  # plain upright JPEGs go to nvJPEG as bytes
    for k, part in enumerate(torch.split(blob, lengths.tolist())):
        assert part.numpy().tobytes() == jpegs[k].read_bytes()
    assert pix_idx.tolist() == [3, 4] and pixels.shape == (2, 3, 224, 224) and pixels.dtype == torch.uint8
    assert errors == [(5, "zero_byte", errors[0][2])]
    # the EXIF-rotated file was decoded upright, like the original
    assert torch.equal(pixels[1], decode_to_tensor(rotated, 224))
    assert (pixels[1].float() - decode_to_tensor(jpegs[0], 224).float()).abs().mean() < 8


def test_batched_jpeg_decode_and_resize_matches_the_cpu_decoder():
    """The nvJPEG branch's grouping + antialiased resize, run with the CPU JPEG decoder."""
    from torchvision.io import ImageReadMode, decode_jpeg

    small = sorted((DEMO / "images").glob("*.jpg"))[:2]
    big = Image.open(small[0]).convert("RGB").resize((1080, 1440), Image.Resampling.BICUBIC)
    import io

    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=92)
    data = [torch.frombuffer(bytearray(p.read_bytes()), dtype=torch.uint8) for p in small]
    data.append(torch.frombuffer(bytearray(buf.getvalue()), dtype=torch.uint8))
    data.append(torch.frombuffer(bytearray(b"\xff\xd8\xff not really a jpeg"), dtype=torch.uint8))
    out = _gpu_decode(data, 224, torch.device("cpu"))
    assert out[3] is None  # a broken file comes back as None: the caller decodes it on the CPU or rejects it
    assert out[0].shape == (3, 224, 224) and out[0].dtype == torch.float32
    assert torch.allclose(out[0], decode_jpeg(data[0], mode=ImageReadMode.RGB).float())  # already 224: untouched
    pil = np.asarray(big.resize((224, 224), Image.Resampling.BILINEAR, reducing_gap=None), dtype=np.float32)
    assert np.abs(out[2].permute(1, 2, 0).numpy() - pil).mean() < 4  # same picture, within resampling noise
