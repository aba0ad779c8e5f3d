from newsroom.search.tests.conftest import search_backend  # noqa: F401
