"""Safe image handling: a cheap header check for every file, and a careful full decode for inference.

Supplier folders hold whatever was at hand: empty files, half-uploaded JPEGs, HTML error pages saved
as ``.jpg``, CMYK print files, phone photos that rely on EXIF rotation, 16-bit scans, transparent
PNGs, animations and the occasional decompression bomb. ``inspect_image`` gives each file a verdict
from its header alone (fast enough for 10,000 files); ``open_rgb`` decodes one file into an upright
8-bit RGB image or raises ``ImageRejected`` with a verdict and a sentence a user can act on.

The format always comes from the content; the file extension is never trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError, features

# A 64-megapixel ceiling: far above any product photo (a 50 MP camera is 8192 x 6144), far below
# what would exhaust memory when decoded (64 MP RGB is ~190 MB).
MAX_PIXELS = 64_000_000

VERDICT_OK = "ok"
VERDICT_MISSING = "missing"
VERDICT_ZERO_BYTE = "zero_byte"
VERDICT_NOT_AN_IMAGE = "not_an_image"
VERDICT_TRUNCATED = "truncated"
VERDICT_TOO_LARGE = "too_large"
VERDICT_UNREADABLE = "unreadable"

# Formats a product photo can reasonably come in. Restricting Pillow to these keeps exotic
# decoders (and their attack surface) out of the way; anything else is "not an image" for us.
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF") + (("AVIF",) if features.check("avif") else ())
# The iPhone camera's format: a HEIF container with HEVC pictures, which Pillow cannot decode.
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")

_TAIL_BYTES = 1024
_EXIF_ORIENTATION = 0x0112
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


@dataclass
class ImageCheck:
    """The verdict of the cheap header check on one file."""

    verdict: str
    reason: str = ""  # a human sentence for a rejection, empty when ok
    format: str | None = None
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    n_frames: int = 1
    # Things that are fine but worth knowing: CMYK, EXIF rotation, 16-bit, animation, alpha.
    notes: list[str] = field(default_factory=list)
    bytes: int | None = None  # the file's size: with the header, what tells a replaced photo on re-import

    @property
    def ok(self) -> bool:
        return self.verdict == VERDICT_OK


class ImageRejected(Exception):
    """An image that cannot be used, with a verdict code and a human reason."""

    def __init__(self, verdict: str, reason: str) -> None:
        super().__init__(verdict, reason)
        self.verdict = verdict
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def inspect_image(path: Path, *, max_pixels: int = MAX_PIXELS) -> ImageCheck:
    """Check one file from its header and tail only (no pixel decode) and return its verdict."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return ImageCheck(VERDICT_MISSING, f"file not found: {path.name}")
    except OSError as exc:
        return ImageCheck(VERDICT_UNREADABLE, f"cannot read {path.name}: {exc}")
    if size == 0:
        return ImageCheck(VERDICT_ZERO_BYTE, "empty file (0 bytes)", bytes=0)
    try:
        with _open_checked(path, size=size, max_pixels=max_pixels) as img:
            check = ImageCheck(
                VERDICT_OK, "", img.format, img.width, img.height, img.mode, _frame_count(img), _notes(img), size
            )
        truncation = _truncation_reason(path, size=size, fmt=check.format)
        if truncation:
            check.verdict, check.reason = VERDICT_TRUNCATED, truncation
        return check
    except ImageRejected as exc:
        return ImageCheck(exc.verdict, exc.reason, bytes=size)
    except Exception as exc:  # e.g. the file vanished or became unreadable between the two reads
        return ImageCheck(VERDICT_UNREADABLE, f"cannot check the image: {type(exc).__name__}: {exc}", bytes=size)


def open_rgb(path: Path, *, min_side: int | None = None, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode one file into an upright 8-bit RGB image for inference, or raise ``ImageRejected``.

    ``min_side`` lets JPEGs decode at a reduced DCT scale (1/2, 1/4, 1/8) while keeping the short
    side at least that long, which is most of the decode cost saved for large photos. The first
    frame of an animation is used; alpha is flattened onto white (the usual product background).
    A plain module-level function so DataLoader worker processes can call it.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageRejected(VERDICT_MISSING, f"file not found: {path.name}") from None
    except OSError as exc:
        raise ImageRejected(VERDICT_UNREADABLE, f"cannot read {path.name}: {exc}") from None
    if size == 0:
        raise ImageRejected(VERDICT_ZERO_BYTE, "empty file (0 bytes)")
    try:
        with _open_checked(path, size=size, max_pixels=max_pixels) as img:
            if min_side and img.format in ("JPEG", "MPO"):
                img.draft("RGB", (min_side, min_side))
            img.load()
            # EXIF first: it lives on the source image (for PNG it may only be known after load).
            try:
                upright = ImageOps.exif_transpose(img)
            except Exception:  # malformed EXIF: the pixels are still good, use them as stored
                upright = img.copy()
            return _to_rgb(upright)
    except ImageRejected:
        raise
    except OSError as exc:
        text = str(exc)
        if "truncated" in text or "broken data stream" in text or "end of file" in text.lower():
            raise ImageRejected(
                VERDICT_TRUNCATED, f"truncated {_magic_format_name(path)}: {text} (file is {size:,} bytes)"
            ) from None
        raise ImageRejected(VERDICT_UNREADABLE, f"cannot decode: {text}") from None
    except Exception as exc:  # a decoder plugin can raise nearly anything on hostile input; never crash the run
        raise ImageRejected(VERDICT_UNREADABLE, f"cannot decode: {type(exc).__name__}: {exc}") from None


def _magic_format_name(path: Path) -> str:
    """The format name from the content's magic bytes, for messages ("JPEG", "PNG", ... or "image")."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return "image"
    return _format_from_magic(head) or "image"


# --- internals -------------------------------------------------------------------------------------


def _open_checked(path: Path, *, size: int, max_pixels: int) -> Image.Image:
    """``Image.open`` (lazy, header only) with every failure turned into an ``ImageRejected``."""
    try:
        # Pillow itself raises above 2x its own limit (~179 MP); our lower limit is checked below.
        # (No warnings.catch_warnings here: it is not thread-safe and header checks run in threads.)
        img = Image.open(path, formats=SUPPORTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"Image size \((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)):,} pixels" if found else "its size"
        raise ImageRejected(
            VERDICT_TOO_LARGE,
            f"{_magic_format_name(path)} of {pixels} is over the limit of {max_pixels:,} (a possible decompression bomb)",
        ) from None
    except UnidentifiedImageError:
        reason = _not_an_image_reason(path, size)
        verdict = VERDICT_UNREADABLE if reason.startswith("not a readable image") else VERDICT_NOT_AN_IMAGE
        raise ImageRejected(verdict, reason) from None
    except OSError as exc:
        raise ImageRejected(VERDICT_UNREADABLE, f"cannot read the image header: {exc}") from None
    except Exception as exc:  # a malformed header can make a decoder plugin raise nearly anything
        raise ImageRejected(VERDICT_UNREADABLE, f"cannot read the image header: {type(exc).__name__}: {exc}") from None
    width, height = img.size
    if width <= 0 or height <= 0:
        img.close()
        raise ImageRejected(VERDICT_UNREADABLE, f"{img.format} header claims an empty size {width} x {height}")
    if width * height > max_pixels:
        img.close()
        raise ImageRejected(
            VERDICT_TOO_LARGE,
            f"{img.format} of {width:,} x {height:,} = {width * height:,} pixels is over the limit of "
            f"{max_pixels:,} (a possible decompression bomb)",
        )
    return img


def _frame_count(img: Image.Image) -> int:
    try:
        return int(getattr(img, "n_frames", 1))
    except Exception:  # a broken later frame must not fail the header check of the first one
        return 1


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation if it can be read without decoding pixels, else 1."""
    try:
        if img.format in ("JPEG", "MPO", "WEBP"):
            return int(img.getexif().get(_EXIF_ORIENTATION, 1))
        if img.format == "TIFF":
            return int(img.tag_v2.get(274, 1))  # type: ignore[attr-defined]
        raw = img.info.get("exif")
        if raw:
            exif = Image.Exif()
            exif.load(raw)
            return int(exif.get(_EXIF_ORIENTATION, 1))
    except Exception:
        return 1
    return 1


def _notes(img: Image.Image) -> list[str]:
    notes = []
    if img.mode == "CMYK":
        inverted = " (Adobe inverted)" if "adobe" in img.info else ""
        notes.append(f"CMYK colour{inverted}: converted to RGB when decoded")
    elif img.mode in _SIXTEEN_BIT_MODES or img.mode in ("I", "F"):
        notes.append(f"high bit depth ({img.mode}): scaled to 8-bit when decoded")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        notes.append("has transparency: flattened onto white when decoded")
    orientation = _orientation(img)
    if orientation != 1:
        notes.append(f"EXIF orientation {orientation}: rotated upright when decoded")
    frames = _frame_count(img)
    if frames > 1:
        notes.append(f"animated ({frames} frames): the first frame is used")
    return notes


def _read_tail(path: Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(max(0, size - _TAIL_BYTES))
        return fh.read()


def _truncation_reason(path: Path, *, size: int, fmt: str | None) -> str:
    """A reason if the file's tail shows it was cut short, else an empty string (cheap: one tail read)."""
    if fmt in ("JPEG", "MPO"):
        # Padding after EOI (zeros, 0xFF fill, line ends) is common and harmless. Phones may append
        # more (a motion photo's video, maker trailers): only then is the whole file scanned.
        tail = _read_tail(path, size).rstrip(b"\x00\xff\r\n\t ")
        if not tail.endswith(b"\xff\xd9") and not _jpeg_has_eoi(path):
            return f"truncated JPEG: no end-of-image marker (file is {size:,} bytes)"
    elif fmt == "PNG":
        if b"IEND" not in _read_tail(path, size) and b"IEND" not in path.read_bytes():
            return f"truncated PNG: no IEND chunk at the end (file is {size:,} bytes)"
    elif fmt == "WEBP":
        with open(path, "rb") as fh:
            head = fh.read(8)
        declared = int.from_bytes(head[4:8], "little") + 8
        if size < declared:
            return f"truncated WebP: header declares {declared:,} bytes, file is {size:,} bytes"
    return ""


def _jpeg_has_eoi(path: Path) -> bool:
    """Whether the main image's scan data is followed by an end-of-image marker anywhere.

    The search starts at the first start-of-scan marker, found by walking the header segments, so
    the EOI of an EXIF thumbnail (inside APP1, before the scan) does not count. Inside entropy-coded
    data 0xFF is always stuffed, so the first FFD9 after the scan is the real end of the image.
    """
    data = path.read_bytes()
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return False  # not a marker where one must be: a corrupt header
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:
            return data.find(b"\xff\xd9", pos) != -1
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return False


def _format_from_magic(head: bytes) -> str | None:
    magics = (
        (b"\xff\xd8\xff", "JPEG"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"GIF8", "GIF"),
        (b"BM", "BMP"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
    )
    for magic, name in magics:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp":  # ISO media files: the brand says which
        if head[8:12] in (b"avif", b"avis"):
            return "AVIF"
        if head[8:12] in _HEIF_BRANDS:
            return "HEIC"
    return None


def _not_an_image_reason(path: Path, size: int) -> str:
    """Say what the file looks like instead, so the user knows what the supplier sent."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        return f"not an image: {exc}"
    magic = _format_from_magic(head)
    if magic == "HEIC":
        return (
            f"a HEIC/HEIF photo (the iPhone camera format, {size:,} bytes), which cannot be read here: "
            "ask the supplier for JPEG or PNG, or convert it"
        )
    if magic == "AVIF" and "AVIF" not in SUPPORTED_FORMATS:
        return f"an AVIF photo ({size:,} bytes), which this installation cannot decode: convert it to JPEG or PNG"
    if magic:
        return f"not a readable image: starts like a {magic} but the header is invalid ({size:,} bytes)"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in stripped:
        return f"not an image: the file is an HTML page ({size:,} bytes), e.g. a saved error page"
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<svg"):
        return f"not an image in a supported format: the file is XML/SVG ({size:,} bytes)"
    if stripped.startswith(b"%pdf"):
        return f"not an image: the file is a PDF ({size:,} bytes)"
    if head and _looks_like_text(head):
        preview = head[:40].decode("utf-8", "replace").strip().replace("\n", " ")
        return f"not an image: the file holds text ({size:,} bytes) starting {preview!r}"
    return f"not an image in a supported format ({', '.join(SUPPORTED_FORMATS)}); {size:,} bytes"


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in data)
    return printable / len(data) > 0.95


def _scale_to_8bit(img: Image.Image) -> Image.Image:
    """16-bit and 32-bit greyscale to 8-bit by scaling the value range (never by clipping)."""
    arr = np.asarray(img)
    if img.mode == "F":
        arr = np.nan_to_num(arr.astype(np.float64))
        lo, hi = float(arr.min()), float(arr.max())
        if lo >= 0.0 and hi <= 1.0:
            lo, hi = 0.0, 1.0
        scaled = (arr - lo) / (hi - lo or 1.0) * 255.0
        return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")
    arr = arr.astype(np.int64)
    top = int(arr.max()) if arr.size else 0
    if img.mode in _SIXTEEN_BIT_MODES or 255 < top <= 65535:
        arr = (np.clip(arr, 0, 65535) * 255 + 32767) // 65535
    elif top > 65535:
        lo = int(arr.min())
        arr = (arr - lo) * 255 // max(top - lo, 1)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")


def _flatten_on_white(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _to_rgb(img: Image.Image) -> Image.Image:
    mode = img.mode
    if mode in _SIXTEEN_BIT_MODES or mode in ("I", "F"):
        return _scale_to_8bit(img).convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode in ("P", "L", "RGB", "1") and "transparency" in img.info):
        return _flatten_on_white(img)
    if mode == "RGB":
        return img
    try:
        # Covers L, 1, P, CMYK (Pillow has already undone Adobe's inverted CMYK), YCbCr, LAB, HSV.
        return img.convert("RGB")
    except ValueError as exc:
        raise ImageRejected(VERDICT_UNREADABLE, f"unsupported colour mode {mode}: {exc}") from None
