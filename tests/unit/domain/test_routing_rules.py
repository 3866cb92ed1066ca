"""Routing rules: the first rule, in order, whose every given condition holds names the queue."""

from __future__ import annotations

from datetime import UTC, datetime

from kefu.domain.routing_rules import ContactFacts, RoutingRule, rule_for

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
ELDERLY_PAYMENTS = ContactFacts("payments", "chat", "refund", "zh", care=True)


def test_the_first_matching_rule_wins_and_missing_conditions_match_anything() -> None:
    """Rules are tried by position; a rule with no conditions is a catch-all."""
    catch_all = RoutingRule("r-9", 90, "social", T0)
    care = RoutingRule("r-1", 10, "elderly_care", T0, business_line="payments", care=True)
    voice = RoutingRule("r-2", 5, "payments", T0, channel="voice")
    assert rule_for([catch_all, care, voice], ELDERLY_PAYMENTS) == care
    young = ContactFacts("payments", "chat", "refund", "zh", care=False)
    assert rule_for([catch_all, care, voice], young) == catch_all
    assert rule_for([care, voice], young) is None


def test_every_condition_must_hold() -> None:
    """Intent and language are checked too: one mismatch and the rule does not apply."""
    rule = RoutingRule("r-1", 10, "elderly_care", T0, intent="refund", language="en")
    assert rule_for([rule], ELDERLY_PAYMENTS) is None


def test_a_vip_rule_holds_only_for_vip_customers_and_a_non_vip_rule_only_for_others() -> None:
    """vip=True matches VIP contacts, vip=False the rest, vip left out both."""
    vip = RoutingRule("r-1", 10, "vip_payments", T0, business_line="payments", vip=True)
    not_vip = RoutingRule("r-2", 20, "payments", T0, vip=False)
    vip_facts = ContactFacts("payments", "chat", "refund", "zh", care=False, vip=True)
    assert rule_for([vip, not_vip], vip_facts) == vip
    assert rule_for([vip, not_vip], ELDERLY_PAYMENTS) == not_vip
    assert rule_for([RoutingRule("r-3", 5, "payments", T0)], vip_facts) is not None
