"""Supplier deliveries: sheet sniffing, image discovery, product<->image join."""

from icaam_desktop.core.delivery.model import VERDICT_OK, Delivery, ImageFile, Product, SheetInfo

__all__ = ["VERDICT_OK", "Delivery", "ImageFile", "Product", "SheetInfo"]
