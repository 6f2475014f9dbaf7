"""Supplier deliveries: sheet sniffing, image discovery, product<->image join."""

from icaam_desktop.core.delivery.folder import check_images, open_delivery
from icaam_desktop.core.delivery.model import (
    VERDICT_MISSING,
    VERDICT_OK,
    Delivery,
    DeliveryError,
    ImageFile,
    Product,
    SheetChoiceError,
    SheetInfo,
)
from icaam_desktop.core.delivery.sheet import read_sheet

__all__ = [
    "VERDICT_MISSING",
    "VERDICT_OK",
    "Delivery",
    "DeliveryError",
    "ImageFile",
    "Product",
    "SheetChoiceError",
    "SheetInfo",
    "check_images",
    "open_delivery",
    "read_sheet",
]
