"""The search commands refuse numbers and names they cannot use, in one line."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from newsroom.articles.tests import factories as f
from newsroom.search.models import IndexChange

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "args",
    [
        ("prune_search_outbox", "--days", "999999999999"),
        ("prune_search_outbox", "--days", "1e9"),
        ("prune_search_outbox", "--days", "999999"),
        ("prune_search_outbox", "--days", "nan"),
        ("prune_search_outbox", "--backend", "nope"),
        ("rebuild_search_index", "--backend", "nope"),
        ("rebuild_search_index", "--wait", "nan"),
        ("rebuild_search_index", "--wait", "-5"),
        ("run_indexer", "--once", "--backend", "nope"),
        ("run_indexer", "--once", "--batch-size", "-5"),
        ("run_indexer", "--once", "--batch-size", "0"),
        ("run_indexer", "--once", "--poll", "-1"),
        ("run_indexer", "--once", "--poll", "nan"),
        ("run_indexer", "--once", "--poll", "0"),
    ],
    ids=" ".join,
)
def test_search_commands_refuse_arguments_they_cannot_use(args, search_backend):
    """A backend alias that is not configured, a number of days past what a
    date can hold, a NaN, a negative or zero poll or batch: each is refused
    before the command runs. They ended in an ImproperlyConfigured,
    OverflowError or ValueError traceback; ``--batch-size 0`` applied
    nothing and exited 0 with rows waiting; ``--poll -1`` or ``0`` made the
    indexer spin a core; ``--wait nan`` was taken."""
    f.article("Waiting in the outbox")
    waiting = IndexChange.objects.count()
    with pytest.raises(CommandError, match="argument --"):
        call_command(*args)
    assert IndexChange.objects.count() == waiting
