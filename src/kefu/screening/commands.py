"""Screening commands whose results are the screening core's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kefu.domain.commands import Command
from kefu.screening.rules import RuleSet, Thresholds


@dataclass(frozen=True, slots=True)
class ActiveRuleSet:
    """The rule set in force: the newest loaded (``seq`` 0 is the shipped default) and its thresholds."""

    seq: int
    rule_set: RuleSet
    thresholds: Thresholds
    loaded_at: datetime | None = None
    loaded_by: str | None = None


@dataclass(frozen=True, slots=True)
class LoadRuleSet(Command[ActiveRuleSet]):
    """A new rule-set version (YAML source), in force at once."""

    source: str
