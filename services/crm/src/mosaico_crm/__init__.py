"""Mosaico CRM: leads, the sales pipeline, stage history, activities and reports."""
