"""The API app keeps no models of its own: rate counters live in ``newsroom.core``."""
