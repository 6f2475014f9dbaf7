"""Device choice everywhere; the CUDA pipeline (nvJPEG, bf16) and a CUDA training step where a GPU exists."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from icaam_desktop.core.classify import device_choice, load_classifier, select_device

from .conftest import DEMO

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_device_choice_says_why():
    assert select_device("cpu").type == "cpu"
    dev, why = device_choice("auto")
    if torch.cuda.is_available():
        assert dev.type == "cuda" and why.startswith("CUDA: ")
    else:
        assert dev.type == "cpu" and "no CUDA" in why
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            select_device("cuda")
    with pytest.raises(ValueError):
        select_device("tpu")


@pytest.mark.gpu
@needs_cuda
def test_cuda_pipeline_with_nvjpeg_agrees_with_the_cpu_one(classifier, tmp_path):
    paths = sorted((DEMO / "images").glob("*.jpg"))[:48]
    bad = tmp_path / "empty.jpg"
    bad.write_bytes(b"")
    paths.append(bad)
    gpu = load_classifier(device="cuda")
    assert gpu.device_description.startswith("CUDA: ")
    gpu.options.gpu_decode = True  # opt-in: see Classifier.__init__
    emb_gpu, err_gpu = gpu.embed_paths(paths, batch_size=16)
    emb_cpu, err_cpu = classifier.embed_paths(paths, batch_size=16)
    assert [e is None for e in err_gpu] == [e is None for e in err_cpu] and err_gpu[-1] is not None
    top_gpu = gpu.leaf_probs_from_embeddings(emb_gpu[:-1]).argmax(1)
    top_cpu = classifier.leaf_probs_from_embeddings(emb_cpu[:-1]).argmax(1)
    assert np.mean(top_gpu == top_cpu) >= 0.95  # bf16 + GPU resize vs fp32 + PIL resize


@pytest.mark.gpu
@needs_cuda
def test_training_runs_on_cuda(fashion, taxonomy, tmp_path):
    from icaam_desktop.core.training.train import train_classifier

    result = train_classifier(
        catalog=fashion / "catalog",
        taxonomy=taxonomy,
        out=tmp_path / "m",
        epochs=2,
        device="cuda",
        limit=200,
        backbone="mobilenetv3_small_050",
        variants=2,
    )
    assert result.epochs_run == 2 and result.card["training"]["device"].startswith("CUDA: ")
