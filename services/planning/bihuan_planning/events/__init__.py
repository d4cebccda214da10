"""Handlers for events planning consumes (none yet: planning is the source of the target book)."""
