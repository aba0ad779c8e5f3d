"""Facet values are shown most frequent first, then by key, whatever path
counted them (``tantivy_counts.ranked``, which keeps only the values that
can be among the first ``size`` before sorting)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from newsroom.search.backends.tantivy_counts import ranked

PAIRS = st.lists(
    st.tuples(st.text(alphabet="abc", max_size=4), st.integers(1, 6)),
    unique_by=lambda p: p[0],
    max_size=60,
)


@given(PAIRS, st.one_of(st.none(), st.integers(0, 40)))
def test_facet_values_are_the_most_frequent_then_by_key(pairs, size):
    expected = sorted(pairs, key=lambda p: (-p[1], p[0]))[:size]
    got = ranked(iter(pairs), size)
    assert [(v.key, v.count) for v in got] == expected


def test_facet_values_compare_by_value():
    """Kept counts are shared between requests: values are immutable and
    equal by value."""
    (a,), (b,) = ranked([("x", 2)]), ranked([("x", 2)])
    assert a == b and (a.key, a.count, a.label) == ("x", 2, "")
    try:
        a.count = 3  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("a facet value was changed")
