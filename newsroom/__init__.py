"""newsroom: a self-hosted news website."""

__version__ = "0.1.0"
