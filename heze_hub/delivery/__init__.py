"""Delivering items: plugins and hookspecs, the channel contract, routing, the HTTP client,
the outbox and the engine."""
