"""Errors the care core raises, as part of kefu's one error hierarchy (``kefu.domain.errors``).

    KefuError
    ├── InvalidInput                      422
    │   ├── InvalidCallbackWindow         422  invalid_callback_window
    │   ├── InvalidCareInput              422  invalid_care_input
    │   └── InvalidFollowUpRules          422  invalid_follow_up_rules
    └── Conflict
        └── IllegalTransition             409
            └── IllegalCallbackTransition 409  illegal_callback_transition

The ``code`` strings are part of the API contract: the HTTP layer puts them in problem+json.
"""

from __future__ import annotations

from kefu.domain.errors import IllegalTransition, InvalidInput


class IllegalCallbackTransition(IllegalTransition):
    """A callback lifecycle step that its current state does not allow (e.g. cancelling a completed one)."""

    code = "illegal_callback_transition"
    title = "Illegal callback transition"

    def __init__(self, callback_id: str, state: str, action: str) -> None:
        super().__init__(kind="callback", ident=callback_id, state=state, action=action)


class InvalidCallbackWindow(InvalidInput):
    """A callback window that is empty, naive (no timezone) or already over."""

    code = "invalid_callback_window"
    title = "Invalid callback window"


class InvalidCareInput(InvalidInput):
    """A care-policy input outside its domain, such as a negative age."""

    code = "invalid_care_input"
    title = "Invalid care input"


class InvalidFollowUpRules(InvalidInput):
    """Follow-up rules (dict or YAML) that cannot be understood."""

    code = "invalid_follow_up_rules"
    title = "Invalid follow-up rules"
