"""Mosaico crm module."""
