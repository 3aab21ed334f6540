"""Delivery metrics, per channel (the tenant is in the logs, not in the labels)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "mosaico_notifications_messages_total",
    "Messages by what happened to them: queued, sent, retried, failed.",
    ["channel", "outcome"],
)
SEND_SECONDS = Histogram(
    "mosaico_notifications_send_seconds",
    "Time one attempt took to hand a message over (SMTP or webhook).",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DUE = Gauge(
    "mosaico_notifications_messages_due",
    "Messages due for an attempt in every tenant database, at the last scan.",
)
OLDEST_DUE_AGE = Gauge(
    "mosaico_notifications_oldest_due_seconds",
    "How long the oldest due message has waited, at the last scan.",
)
SCANS = Counter(
    "mosaico_notifications_scans_total",
    "Passes over every tenant database looking for due messages.",
    ["result"],
)
