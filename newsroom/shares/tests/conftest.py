import pytest

from newsroom.shares.reads import buffer

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(autouse=True)
def _empty_read_buffer():
    """Views buffered by earlier tests in this process never leak into ours."""
    buffer.clear()
    yield
    buffer.clear()


@pytest.fixture
def reader(client):
    """A test client that looks like a person's browser at a fixed address."""
    client.defaults.update(HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.7")
    return client
