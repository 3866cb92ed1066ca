"""What the screening handlers share beyond a unit of work: the counters, the notifier, the active rule set.

The active rule set is the newest one loaded into the database (the shipped default until then); each
screening reads its sequence number (one indexed query) and recompiles only when it changed, so
``kefu rules load`` reaches every serving process. One ``ScreeningDesk`` is made at ``bootstrap`` and
injected into the handlers that need it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.errors import Conflict
from kefu.screening import CounterStore, RuleSet, Thresholds, default_rule_set, load_rule_set
from kefu.screening.commands import ActiveRuleSet
from kefu.services.ports import Notifier, UnitOfWork
from kefu.services.screening.model_cache import ModelCache


def effective_thresholds(rule_set: RuleSet, settings: Any) -> Thresholds:
    """The rule set's thresholds with any set by configuration (``KEFU_SCREEN_WARN`` …) on top."""
    own = rule_set.thresholds
    return Thresholds(
        warn=settings.screen_warn or own.warn,
        hold=settings.screen_hold or own.hold,
        block=settings.screen_block or own.block,
    )


@dataclass
class ScreeningDesk:
    counters: CounterStore
    notifier: Notifier
    models: ModelCache = field(default_factory=ModelCache)
    _active: ActiveRuleSet | None = field(default=None, repr=False)
    _checked_at: float = field(default=0.0, repr=False)

    async def active_rules(self, uow: UnitOfWork, settings: Any) -> ActiveRuleSet:
        """The newest stored rule set; compiled again only when a newer one was loaded.

        The stored sequence is read at most every ``KEFU_RULES_CHECK_S`` (one small indexed query), so a
        rule set loaded by ``kefu rules load`` in another process is in force within that time."""
        current = self._active
        now = time.monotonic()
        if current is not None and now - self._checked_at < settings.rules_check_s:
            return current
        seq = await uow.fraud.active_rule_set_seq()
        self._checked_at = now
        if current is not None and current.seq == seq:
            return current
        if seq == 0:
            rules = default_rule_set()
            active = ActiveRuleSet(0, rules, effective_thresholds(rules, settings))
        else:
            stored = await uow.fraud.rule_set(seq)
            if stored is None:  # pragma: no cover - the sequence came from the same table a moment ago
                raise Conflict("the active rule set vanished; retry")
            rules = load_rule_set(stored.source)
            active = ActiveRuleSet(
                seq, rules, effective_thresholds(rules, settings), stored.loaded_at, stored.loaded_by
            )
        self._active = active
        return active

    def forget_rules(self) -> None:
        """Read the stored sequence again at the next screening (a rule set was just loaded here)."""
        self._checked_at = 0.0
