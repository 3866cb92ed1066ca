"""Errors the screening core raises on purpose.

They join kefu's one hierarchy (``kefu.domain.errors``) so the HTTP layer maps them to problem+json and the
CLI prints them on one line::

    InvalidInput (422)
    ├── InvalidRuleSet     code "invalid_rule_set": a rule set that does not parse or validate
    ├── InvalidPayment     code "invalid_payment": a screening request that cannot be a payment
    └── InvalidModel       code "invalid_model": model parameters that do not load or do not fit the inputs
"""

from __future__ import annotations

from kefu.domain.errors import InvalidInput


class InvalidRuleSet(InvalidInput):
    """A rule set failed to load; ``detail`` is one line naming the rule code when there is one."""

    code = "invalid_rule_set"
    title = "Invalid rule set"

    def __init__(self, detail: str, rule: str | None = None) -> None:
        super().__init__(f"rule {rule}: {detail}" if rule else detail, rule=rule)
        self.rule = rule


class InvalidPayment(InvalidInput):
    """A payment record is missing a field or carries a value screening cannot use."""

    code = "invalid_payment"
    title = "Invalid payment"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.field = field


class InvalidModel(InvalidInput):
    """Exported model parameters are malformed or were made for other inputs."""

    code = "invalid_model"
    title = "Invalid model"
