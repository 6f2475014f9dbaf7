"""Bad and unusual image files, each generated with Pillow at test time, get their own verdict."""

from __future__ import annotations

import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from icaam_desktop.core.images import (
    MAX_PIXELS,
    ImageCheck,
    ImageRejected,
    inspect_image,
    open_rgb,
)

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 160, 0)


def _close(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def _photo(width=120, height=90, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), "RGB")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _write_bomb_png(path: Path, side: int = 20000) -> None:
    """A real, valid 1-bit PNG of side x side: ~50 MB of zero rows that compress to ~50 kB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)
    parts = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bad_images(tmp_path_factory) -> dict[str, Path]:
    """One file per case, named by what it is; extensions deliberately lie where the case says so."""
    d = tmp_path_factory.mktemp("images")
    files: dict[str, Path] = {}

    files["zero_byte"] = d / "zero.jpg"
    files["zero_byte"].write_bytes(b"")

    whole = d / "whole.jpg"
    _photo(400, 300).save(whole, quality=90)
    data = whole.read_bytes()
    files["truncated_jpeg"] = d / "truncated.jpg"
    files["truncated_jpeg"].write_bytes(data[: int(len(data) * 0.55)])
    files["padded_jpeg"] = d / "padded.jpg"
    files["padded_jpeg"].write_bytes(data + b"\x00" * 300)

    png = d / "whole.png"
    _photo().save(png)
    files["truncated_png"] = d / "truncated.png"
    files["truncated_png"].write_bytes(png.read_bytes()[:-200])

    files["png_as_jpg"] = d / "really_png.jpg"
    Image.new("RGB", (30, 20), GREEN).save(files["png_as_jpg"], format="PNG")

    files["html_as_jpg"] = d / "error_page.jpg"
    files["html_as_jpg"].write_text("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>\n")
    files["text_as_jpg"] = d / "notes.jpg"
    files["text_as_jpg"].write_text("Artikelnummer;Bild\n123;123.jpg\n")

    files["cmyk_jpeg"] = d / "cmyk.jpg"
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(files["cmyk_jpeg"], quality=95)  # red in CMYK

    # Upright is 40 wide x 80 high, red on top, blue below; stored rotated 90° counter-clockwise with
    # EXIF orientation 6, so only a reader that honours the tag shows it upright.
    upright = Image.new("RGB", (40, 80), BLUE)
    upright.paste(RED, (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    files["exif_rotated"] = d / "rotated.jpg"
    upright.rotate(90, expand=True).save(files["exif_rotated"], quality=95, exif=exif)

    files["png16"] = d / "deep.png"
    grey16 = np.array([[0, 32768, 65535, 1000]], dtype=np.uint16).repeat(4, axis=0)
    Image.fromarray(grey16).save(files["png16"])

    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0] + list(RED) + [0] * (256 * 3 - 6))
    palette.putpixel((1, 1), 1)
    files["palette_alpha"] = d / "palette.png"
    palette.save(files["palette_alpha"], transparency=0)

    files["rgba"] = d / "rgba.png"
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    rgba.putpixel((2, 2), (*BLUE, 255))
    rgba.save(files["rgba"])

    frames = [Image.new("RGB", (32, 24), c) for c in (RED, GREEN, BLUE)]
    files["animated_gif"] = d / "anim.gif"
    frames[0].save(files["animated_gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    if features.check("webp"):
        files["animated_webp"] = d / "anim.webp"
        frames[0].save(files["animated_webp"], save_all=True, append_images=frames[1:], duration=100, lossless=True)

    files["bomb_png"] = d / "bomb.png"
    _write_bomb_png(files["bomb_png"])

    files["big_jpeg"] = d / "big.jpg"
    _photo(2000, 1500).save(files["big_jpeg"], quality=85)
    return files


EXPECTED_VERDICTS = {
    "zero_byte": "zero_byte",
    "truncated_jpeg": "truncated",
    "padded_jpeg": "ok",
    "truncated_png": "truncated",
    "png_as_jpg": "ok",
    "html_as_jpg": "not_an_image",
    "text_as_jpg": "not_an_image",
    "cmyk_jpeg": "ok",
    "exif_rotated": "ok",
    "png16": "ok",
    "palette_alpha": "ok",
    "rgba": "ok",
    "animated_gif": "ok",
    "animated_webp": "ok",
    "bomb_png": "too_large",
    "big_jpeg": "ok",
}


@pytest.mark.parametrize("case", sorted(EXPECTED_VERDICTS))
def test_inspect_gives_each_case_its_verdict(bad_images, case):
    if case not in bad_images:
        pytest.skip("Pillow built without WebP")
    check = inspect_image(bad_images[case])
    assert check.verdict == EXPECTED_VERDICTS[case], check.reason
    if check.ok:
        assert check.reason == "" and check.width and check.height and check.format
    else:
        assert len(check.reason) > 15  # a sentence, not a code


def test_reasons_say_what_is_wrong(bad_images):
    assert "0 bytes" in inspect_image(bad_images["zero_byte"]).reason
    truncated = inspect_image(bad_images["truncated_jpeg"]).reason
    assert "end-of-image" in truncated and f"{bad_images['truncated_jpeg'].stat().st_size:,} bytes" in truncated
    assert "HTML" in inspect_image(bad_images["html_as_jpg"]).reason
    assert "text" in inspect_image(bad_images["text_as_jpg"]).reason
    bomb = inspect_image(bad_images["bomb_png"]).reason
    assert bomb == "PNG of 400,000,000 pixels is over the limit of 64,000,000 (a possible decompression bomb)"


def test_format_comes_from_content_not_extension(bad_images):
    check = inspect_image(bad_images["png_as_jpg"])
    assert (check.format, check.width, check.height) == ("PNG", 30, 20)
    assert open_rgb(bad_images["png_as_jpg"]).getpixel((5, 5)) == GREEN


def test_unusual_but_usable_files_are_noted(bad_images):
    assert inspect_image(bad_images["cmyk_jpeg"]).mode == "CMYK"
    assert any("CMYK" in n for n in inspect_image(bad_images["cmyk_jpeg"]).notes)
    assert any("orientation 6" in n for n in inspect_image(bad_images["exif_rotated"]).notes)
    gif = inspect_image(bad_images["animated_gif"])
    assert gif.n_frames == 3 and any("animated" in n for n in gif.notes)
    assert inspect_image(bad_images["png16"]).mode.startswith("I")


def test_missing_file(tmp_path):
    assert inspect_image(tmp_path / "gone.jpg").verdict == "missing"
    with pytest.raises(ImageRejected) as err:
        open_rgb(tmp_path / "gone.jpg")
    assert err.value.verdict == "missing"


def test_cmyk_decodes_to_rgb(bad_images):
    img = open_rgb(bad_images["cmyk_jpeg"])
    assert img.mode == "RGB"
    assert _close(img.getpixel((20, 15)), RED)


def test_adobe_inverted_cmyk_decodes_to_the_right_colour(tmp_path):
    """Photoshop writes CMYK JPEGs with inverted values and an Adobe APP14 marker; Pillow undoes both."""
    src = tmp_path / "adobe.jpg"
    Image.new("CMYK", (16, 16), (255, 0, 255, 0)).save(src, quality=95)  # green, Pillow adds the Adobe marker
    with Image.open(src) as raw:
        assert "adobe" in raw.info
    assert _close(open_rgb(src).getpixel((8, 8)), (0, 255, 0))


def test_exif_rotation_is_applied(bad_images):
    with Image.open(bad_images["exif_rotated"]) as stored:
        assert stored.size == (80, 40)
    img = open_rgb(bad_images["exif_rotated"])
    assert img.size == (40, 80)
    assert _close(img.getpixel((20, 10)), RED)
    assert _close(img.getpixel((20, 70)), BLUE)


def test_sixteen_bit_is_scaled_not_clipped(bad_images):
    img = open_rgb(bad_images["png16"])
    assert img.mode == "RGB"
    values = [img.getpixel((x, 0))[0] for x in range(4)]
    assert values == [0, 128, 255, 4]  # 1000/65535*255 rounds to 4; clipping would give 255


def test_alpha_is_flattened_onto_white(bad_images):
    pal = open_rgb(bad_images["palette_alpha"])
    assert pal.getpixel((0, 0)) == (255, 255, 255)
    assert pal.getpixel((1, 1)) == RED
    rgba = open_rgb(bad_images["rgba"])
    assert rgba.getpixel((0, 0)) == (255, 255, 255)
    assert rgba.getpixel((2, 2)) == BLUE


@pytest.mark.parametrize("case", ["animated_gif", "animated_webp"])
def test_animation_uses_first_frame(bad_images, case):
    if case not in bad_images:
        pytest.skip("Pillow built without WebP")
    assert inspect_image(bad_images[case]).n_frames == 3
    img = open_rgb(bad_images[case])
    assert img.mode == "RGB" and img.size == (32, 24)
    assert _close(img.getpixel((5, 5)), RED)


def test_bomb_is_refused_without_decoding(bad_images):
    with pytest.raises(ImageRejected) as err:
        open_rgb(bad_images["bomb_png"])
    assert err.value.verdict == "too_large"


def test_own_pixel_limit(tmp_path):
    path = tmp_path / "small.png"
    Image.new("RGB", (100, 100)).save(path)
    assert inspect_image(path).ok
    check = inspect_image(path, max_pixels=5000)
    assert check.verdict == "too_large" and "10,000 pixels" in check.reason
    with pytest.raises(ImageRejected, match="over the limit"):
        open_rgb(path, max_pixels=5000)
    assert MAX_PIXELS == 64_000_000


def test_draft_decode_keeps_the_short_side(bad_images):
    full = open_rgb(bad_images["big_jpeg"])
    assert full.size == (2000, 1500)
    small = open_rgb(bad_images["big_jpeg"], min_side=224)
    assert small.mode == "RGB"
    assert small.width < 2000 and min(small.size) >= 224
    assert small.size == (500, 375)  # 1/4 DCT scale: 1/8 would give a short side of 188


def test_decoding_failures_are_rejections(bad_images):
    for case, verdict in [("zero_byte", "zero_byte"), ("html_as_jpg", "not_an_image"), ("truncated_jpeg", "truncated")]:
        with pytest.raises(ImageRejected) as err:
            open_rgb(bad_images[case])
        assert err.value.verdict == verdict, err.value.reason
        assert err.value.reason


def test_batch_over_every_case_completes(bad_images):
    """One pass over all the bad files: every file gets a check and a decode outcome, nothing escapes."""
    results = {}
    for case, path in bad_images.items():
        check = inspect_image(path)
        assert isinstance(check, ImageCheck)
        try:
            open_rgb(path, min_side=224)
            results[case] = ("decoded", check.verdict)
        except ImageRejected as exc:
            results[case] = (exc.verdict, check.verdict)
    assert len(results) == len(bad_images)
    for case, (decoded, checked) in results.items():
        if checked == "ok":
            assert decoded == "decoded", case


def test_rejection_survives_pickling():
    """DataLoader workers send exceptions back to the main process by pickling them."""
    exc = pickle.loads(pickle.dumps(ImageRejected("truncated", "truncated JPEG: no end-of-image marker")))
    assert (exc.verdict, exc.reason) == ("truncated", "truncated JPEG: no end-of-image marker")
    assert pickle.loads(pickle.dumps(open_rgb)) is open_rgb


def test_data_after_the_end_of_image_is_not_truncation(tmp_path):
    """Phones append videos or maker trailers after a complete JPEG; its thumbnail's EOI must not
    make a cut-off file look complete either."""
    buf = tmp_path / "full.jpg"
    thumb = tmp_path / "thumb.jpg"
    Image.new("RGB", (16, 16), RED).save(thumb)
    exif = Image.Exif()
    exif[0x010F] = "Phone"
    _photo(300, 200).save(buf, quality=90, exif=exif.tobytes())
    # An EXIF-like APP1 holding a whole JPEG thumbnail (with its own FFD9), inserted after SOI.
    thumb_bytes = thumb.read_bytes()
    app1 = b"\xff\xe1" + (len(thumb_bytes) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + thumb_bytes
    data = buf.read_bytes()
    with_thumb = data[:2] + app1 + data[2:]
    motion = tmp_path / "motion.jpg"
    motion.write_bytes(with_thumb + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    assert inspect_image(motion).ok, inspect_image(motion).reason
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(with_thumb[: len(with_thumb) * 2 // 3])
    assert inspect_image(cut).verdict == "truncated"


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_malformed_exif_does_not_reject_good_pixels(tmp_path):
    path = tmp_path / "bad_exif.jpg"
    Image.new("RGB", (20, 10), RED).save(path)
    payload = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\x01\x02" * 20  # IFD offset far past the end
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:])
    assert inspect_image(path).ok
    img = open_rgb(path)
    assert img.size == (20, 10) and _close(img.getpixel((10, 5)), RED)


def test_32bit_integer_greyscale_is_scaled(tmp_path):
    path = tmp_path / "deep.tif"
    Image.fromarray(np.array([[0, 32768, 65535]] * 2, dtype=np.int32), "I").save(path)
    assert inspect_image(path).mode == "I"
    assert [open_rgb(path).getpixel((x, 0)) for x in range(3)] == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_avif_photos_decode_and_heic_photos_say_what_they_are(tmp_path):
    """AVIF (web shops' export) decodes; HEIC (the iPhone camera format) cannot be, and the verdict says so."""
    avif = tmp_path / "front.avif"
    _photo(120, 160).save(avif, quality=80)
    check = inspect_image(avif)
    assert check.ok and check.format == "AVIF"
    assert open_rgb(avif).size == (120, 160)

    heic = tmp_path / "IMG_0042.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(4000))
    check = inspect_image(heic)
    assert check.verdict == "not_an_image"
    assert "HEIC/HEIF photo (the iPhone camera format" in check.reason and "JPEG or PNG" in check.reason


def test_a_delivery_finds_gif_avif_and_heic_photos(tmp_path):
    from icaam_desktop.core.delivery import open_delivery

    (tmp_path / "products.csv").write_text("sku;name\nA1;Shirt\nA2;Shoe\nA3;Bag\n", encoding="utf-8")
    _photo(64, 64).save(tmp_path / "A1.gif")
    _photo(64, 64).save(tmp_path / "A2.avif")
    (tmp_path / "A3.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(4000))
    delivery = open_delivery(tmp_path)
    images = {p.product_id: p.images for p in delivery.products}
    assert [(im.ok, im.format) for im in images["A1"]] == [(True, "GIF")]
    assert [(im.ok, im.format) for im in images["A2"]] == [(True, "AVIF")]
    [heic] = images["A3"]
    assert not heic.ok and "HEIC" in heic.reason
