"""ICaAM: Image Classification and Attribute Mapping for supplier onboarding."""

__version__ = "0.1.0"
