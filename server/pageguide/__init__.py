"""Pageguide: a page-aware in-product assistant."""

__version__ = "0.1.0"
