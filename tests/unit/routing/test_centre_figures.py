"""The wallboard's centre line: queues' counts added up with a transferred contact counted once."""

from __future__ import annotations

from kefu.services.routing.wallboard import CentreFigures, centre_figures


def test_a_contact_answered_in_two_queues_is_one_answer_for_the_centre() -> None:
    """Answered in A (in target) and in B after a transfer: one answer, one transfer, 100 % in target."""
    first = {"answered": 1, "in_target": 1, "abandoned": 0, "transferred": 1}
    second = {"answered": 1, "in_target": 0, "abandoned": 0, "transferred_in": 1}
    assert centre_figures([first, second]) == CentreFigures(1, 0, 1, 100.0)


def test_a_contact_abandoned_after_a_transfer_was_answered_not_abandoned() -> None:
    """Abandoned in B after A answered it: not an abandon for the centre; nothing at all is a gap."""
    first = {"answered": 1, "in_target": 0, "transferred": 1}
    second = {"abandoned": 1, "abandoned_after_answer": 1}
    assert centre_figures([first, second]) == CentreFigures(1, 0, 1, 0.0)
    assert centre_figures([]) == CentreFigures(0, 0, 0, None)
