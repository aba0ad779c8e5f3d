import pytest


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    """Tests fill forms at once; the minimum fill time has its own test."""
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
