"""Delivery: alerts, the outbox, the sender, policy, templates and the console channel."""
