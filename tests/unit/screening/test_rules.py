"""Loading and validating rule sets, including the shipped default."""

from __future__ import annotations

import pytest
import yaml

from kefu.domain.errors import InvalidInput
from kefu.screening import PLAYBOOKS, InvalidRuleSet, Thresholds, default_rule_set, load_rule_set

GOOD = """
version: "t-1"
rules:
  - code: big
    when: amount >= 100_000
    weight: 50
    typology: investment
    message_zh: 大额
    message_en: large
  - code: watch
    when: payee_watchlisted
    weight: 90
    shadow: true
    message_zh: 名单
    message_en: listed
"""


def test_default_rule_set_loads_and_covers_every_typology():
    """The shipped rule set validates, has default thresholds, and names only typologies with playbooks."""
    rules = default_rule_set()
    assert rules.version
    assert rules.thresholds == Thresholds(40, 65, 90)
    typologies = {r.typology for r in rules.rules if r.typology}
    assert typologies <= set(PLAYBOOKS)
    assert typologies == set(PLAYBOOKS)


def test_load_splits_deciding_and_shadow_rules():
    """Shadow rules are kept apart from deciding ones and the round trip to data keeps every field."""
    rules = load_rule_set(GOOD)
    assert [r.code for r in rules.deciding] == ["big"]
    assert [r.code for r in rules.shadow] == ["watch"]
    assert rules.to_dict()["rules"][1]["shadow"] is True
    assert load_rule_set(yaml.safe_dump(rules.to_dict())).to_dict() == rules.to_dict()


@pytest.mark.parametrize(
    ("mutation", "code", "fragment"),
    [
        (("amount >= 100_000", "amount >= 'x'"), "big", "cannot compare"),
        (("amount >= 100_000", "amout >= 1"), "big", "unknown feature 'amout'"),
        (("weight: 50", "weight: 500"), "big", "weight must be an integer"),
        (("weight: 50", "weight: 5.5"), "big", "weight must be an integer"),
        (("typology: investment", "typology: lottery"), "big", "unknown typology"),
        (("code: watch", "code: big"), "big", "duplicate code"),
        (("message_en: large", "message_en: ''"), "big", "message_en"),
        (("shadow: true", "shadow: maybe"), "watch", "shadow must be"),
        (("    weight: 50\n", "    weight: 50\n    colour: red\n"), "big", "unknown keys: colour"),
    ],
)
def test_invalid_rules_name_the_rule_and_the_problem(mutation, code, fragment):
    """A broken rule raises InvalidRuleSet (a 422) carrying the rule code and a one-line reason."""
    old, new = mutation
    with pytest.raises(InvalidRuleSet) as info:
        load_rule_set(GOOD.replace(old, new, 1))
    error = info.value
    assert isinstance(error, InvalidInput)
    assert error.code == "invalid_rule_set"
    assert error.status == 422
    assert error.rule == code
    assert fragment in error.detail
    assert "\n" not in error.detail


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version: [unclosed", "not valid YAML"),
        ("- a\n- b", "must be a mapping"),
        ("version: v\nrules: []", "non-empty list"),
        ("rules: [{code: x}]", "version"),
        ("version: v\nextra: 1\nrules: []", "unknown top-level keys"),
        ("version: v\nthresholds: {warn: 70, hold: 60}\nrules: [{code: x}]", "warn <= hold"),
        ("version: v\nthresholds: {warn: '40'}\nrules: [{code: x}]", "must be an integer"),
    ],
)
def test_invalid_rule_sets_are_rejected_whole(text, fragment):
    """Structural problems in a rule set are reported without a rule code."""
    with pytest.raises(InvalidRuleSet) as info:
        load_rule_set(text)
    assert fragment in info.value.detail


def test_thresholds_must_be_ordered():
    """Thresholds out of order are refused, so decisions stay monotone in the score."""
    with pytest.raises(InvalidRuleSet):
        Thresholds(warn=50, hold=40, block=90)
    with pytest.raises(InvalidRuleSet):
        Thresholds(warn=0, hold=40, block=90)
