"""The event backbone on NATS JetStream: the envelope, streams, the outbox relay and
sweeper, durable consumers with dead letters, and their metrics.

A module builds one ``EventBackbone`` (``mosaico_shared.events.backbone``) from its
settings; see that module for how to publish and how to consume.
"""
