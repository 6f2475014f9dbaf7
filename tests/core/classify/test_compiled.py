"""torch.compile for CPU inference: same numbers as eager, one graph for short slices, a fallback without it."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from icaam_desktop.core.classify.compiled import (
    COMPILE_MIN_IMAGES,
    compiler_available,
    is_warm,
    run_compiled,
    should_compile,
)

needs_compiler = pytest.mark.skipif(not compiler_available(), reason="inductor needs a C++ compiler (g++/clang++)")


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU6(),
        nn.Conv2d(8, 8, 3, padding=1, groups=8),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    ).eval()


@needs_compiler
def test_compiled_forward_matches_eager_and_pads_a_short_last_slice():
    net = small_net()
    x = torch.randn(4, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        eager = net(x)
        assert not is_warm(net)
        full = run_compiled(net, net, x, rows=4)
        short = run_compiled(net, net, x[:3], rows=4)  # padded to 4 rows: the same graph, 3 rows back
    assert is_warm(net)
    assert full is not None and short is not None
    assert short.shape == (3, 8)
    torch.testing.assert_close(full, eager, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(short, eager[:3], rtol=1e-4, atol=1e-5)


@needs_compiler
def test_a_failed_compile_falls_back_to_eager_and_is_remembered(caplog):
    import torch._inductor.config as inductor_config

    net = small_net()
    x = torch.randn(2, 3, 32, 32)
    # no compiler, and no cached kernels to fall back on
    bogus = inductor_config.patch({"cpp.cxx": ("/nonexistent/g++",), "fx_graph_cache": False})
    with bogus, caplog.at_level(logging.WARNING), torch.inference_mode():
        assert run_compiled(net, net, x, rows=2) is None
    assert "running the model eagerly" in caplog.text
    with torch.inference_mode():
        assert run_compiled(net, net, x, rows=2) is None  # not retried: eager from now on for this model
    assert not is_warm(net)


def test_compiling_is_automatic_only_for_large_cpu_jobs(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert should_compile(None, cpu, COMPILE_MIN_IMAGES) is compiler_available()
    assert should_compile(None, cpu, COMPILE_MIN_IMAGES - 1) is False
    assert should_compile(None, cuda, 10 * COMPILE_MIN_IMAGES) is False  # not measured to pay on CUDA yet
    assert should_compile(True, cpu, 1) is True and should_compile(False, cpu, 10**6) is False
    monkeypatch.setattr("sys.frozen", True, raising=False)  # the PyInstaller bundle: never automatically
    assert should_compile(None, cpu, 10 * COMPILE_MIN_IMAGES) is False
