"""Surge detection: a topic's rate of distinct stories against its own history (model.py)."""
