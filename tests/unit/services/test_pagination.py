"""Opaque cursors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.errors import InvalidInput
from kefu.services.pagination import decode_cursor, encode_cursor, page_of


@given(st.text(min_size=1, max_size=60))
def test_cursor_round_trip(last_id: str) -> None:
    """Whatever id a page ends on, its cursor decodes back to it."""
    assert decode_cursor(encode_cursor(last_id)) == last_id


@pytest.mark.parametrize("bad", ["!!!", "bm90LWEtY3Vyc29y", "a", "k1"])
def test_cursors_not_from_the_api_are_invalid_input(bad: str) -> None:
    """Garbage cursors are a 422, not a crash and not a silent first page."""
    with pytest.raises(InvalidInput):
        decode_cursor(bad)


def test_page_of_uses_the_extra_row_only_to_signal_more() -> None:
    """Fetching limit+1 rows yields limit items and a cursor; fewer rows yield no cursor."""

    class Row:
        def __init__(self, i: int) -> None:
            self.id = f"id{i}"

    full = page_of([Row(i) for i in range(4)], 3)
    assert [r.id for r in full.items] == ["id0", "id1", "id2"]
    assert decode_cursor(full.next_cursor) == "id2"
    last = page_of([Row(i) for i in range(2)], 3)
    assert last.next_cursor is None
