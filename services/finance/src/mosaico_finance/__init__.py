"""Mosaico finance module."""
