"""Firstmile: the first mile of cross-border e-commerce, forward and reverse."""

__version__ = "0.1.0"
