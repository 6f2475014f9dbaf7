"""Frozen CUDA probe: does a PyInstaller-frozen torch really run on the GPU, from the bundled libraries?

Built by cuda_probe.spec with the same runtime hook and the same CUDA file exclusions as icaam.spec, but
with torch alone, so it can be built on a GPU machine that lacks the app's other dependencies.
Exit 0 only if a convolution (cuDNN) and a matrix product (cuBLAS) ran on CUDA and the CUDA runtime
was loaded from inside the bundle.
"""

import os
import sys
from pathlib import Path

import torch
from torchvision.io import decode_jpeg, encode_jpeg

bundle = Path(getattr(sys, "_MEIPASS", "."))
print("frozen:", getattr(sys, "frozen", False), "| bundle:", bundle)
print("torch:", torch.__version__, "| CUDA build:", torch.version.cuda)
print("rthook dirs:", os.environ.get("ICAAM_BUNDLED_CUDA_DIRS", "(runtime hook did not run)"))
if not torch.cuda.is_available():
    print("FAIL: CUDA not available in the frozen app")
    raise SystemExit(1)
print("device:", torch.cuda.get_device_name(0))
x = torch.randn(8, 3, 224, 224, device="cuda")
conv = torch.nn.Conv2d(3, 32, 3, padding=1).cuda()
with torch.inference_mode():
    y = conv(x)
    z = torch.randn(512, 512, device="cuda") @ torch.randn(512, 512, device="cuda")
    h = torch.randn(64, 512, device="cuda", dtype=torch.float16) @ torch.randn(
        512, 512, device="cuda", dtype=torch.float16
    )
# torchvision's nvJPEG decoder (the classifier's GPU image decode) ships its own CUDA libraries.
jpeg = encode_jpeg((torch.rand(3, 64, 64) * 255).to(torch.uint8))
decoded = decode_jpeg([jpeg], device="cuda")[0]
torch.cuda.synchronize()
print("nvjpeg decode:", tuple(decoded.shape), decoded.device)
print("conv:", tuple(y.shape), "| matmul:", tuple(z.shape), tuple(h.shape), "| cudnn:", torch.backends.cudnn.version())
loaded = sorted(
    {
        line.split()[-1]
        for line in Path("/proc/self/maps").read_text().splitlines()
        if ".so" in line and any(k in line for k in ("cuda", "cudnn", "cublas", "nvjpeg", "libtorch", "libc10"))
    }
)
# CUDA toolkit libraries must come from the bundle; the driver's (libcuda, libnvidia-*) from the system.
TOOLKIT = (
    "libcudart",
    "libcublas",
    "libcudnn",
    "libnvjpeg",
    "libnvrtc",
    "libcufft",
    "libcurand",
    "libcusparse",
    "libcusolver",
    "libnccl",
    "libnvJitLink",
    "libtorch",
    "libc10",
)
outside = [p for p in loaded if Path(p).name.startswith(TOOLKIT) and not p.startswith(str(bundle))]
for p in loaded:
    print("  loaded:", p)
if outside:
    print("FAIL: CUDA libraries loaded from outside the bundle:", outside)
    raise SystemExit(1)
print("PASS: frozen torch ran cuDNN and cuBLAS on", torch.cuda.get_device_name(0), "from bundled libraries")
