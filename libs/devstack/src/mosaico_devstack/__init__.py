"""Mosaico on one machine: local PostgreSQL (and NATS), the services as processes."""
