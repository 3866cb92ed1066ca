"""Features: everything a rule may look at, as one flat mapping built once per payment.

The schema below is the rule language's vocabulary; ``compile_condition`` type-checks conditions against it.
Counter features come from a ``CounterStore``; the rest are computed here from the payment and the payer
profile. Night is 01:00-06:00 in the payer's own timezone, when scam calls keep victims awake and alone.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.screening.counters import CounterFeatures
from kefu.screening.lexicon import MemoLexicon
from kefu.screening.payment import PayerProfile, Payment

FEATURE_SCHEMA: dict[str, str] = {
    # the payment
    "amount": "int",
    "currency": "str",
    "channel": "str",
    "payee_kind": "str",
    "payee_name_official": "bool",
    "memo_typologies": "set",
    "memo_hits": "int",
    "local_hour": "int",
    "night": "bool",
    # the payer
    "payer_elderly": "bool",
    "payer_vulnerable": "bool",
    "device_new": "bool",
    "device_remote_access": "bool",
    "device_on_call": "bool",
    "device_screen_sharing": "bool",
    # counters
    "payer_out_count_1h": "int",
    "payer_out_count_24h": "int",
    "payer_out_count_7d": "int",
    "payer_out_sum_1h": "int",
    "payer_out_sum_24h": "int",
    "payer_out_sum_7d": "int",
    "amount_x_usual": "int",
    "first_to_payee": "bool",
    "payee_distinct_payers_24h": "int",
    "payee_age_s": "int",
    "payee_reports": "int",
    "payee_watchlisted": "bool",
    "test_then_large": "bool",
    "payer_stopped_24h": "int",
}

# Individual accounts whose display name claims an office are a classic impersonation tell.
_OFFICIAL_NAMES = (
    "公安",
    "警官",
    "检察",
    "法院",
    "边防",
    "战士",
    "部队",
    "军人",
    "军官",
    "解放军",
    "police",
    "officer",
    "army",
)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    # An unknown zone in a customer record must not fail a payment; Beijing time is the platform default.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


class FeatureBuilder:
    """Builds the feature mapping; holds the memo lexicon and a payee-name cache so they are built once."""

    def __init__(self, lexicon: MemoLexicon | None = None) -> None:
        self.lexicon = lexicon or MemoLexicon()
        self._name_cache: dict[str, bool] = {}

    def local_hour(self, when: datetime, timezone: str) -> int:
        return when.astimezone(_zone(timezone)).hour

    def official_name(self, name: str) -> bool:
        cached = self._name_cache.get(name)
        if cached is None:
            folded = name.casefold()
            cached = any(word in folded for word in _OFFICIAL_NAMES)
            if len(self._name_cache) < 100_000:
                self._name_cache[name] = cached
        return cached

    def build(self, payment: Payment, profile: PayerProfile, counters: CounterFeatures) -> dict[str, Any]:
        typologies, hits = self.lexicon.match(payment.memo)
        hour = self.local_hour(payment.created_at, profile.timezone)
        device = payment.device
        payee = payment.payee
        prior_count = counters.payer_out_count_7d - 1
        usual = (counters.payer_out_sum_7d - payment.amount) // prior_count if prior_count >= 3 else 0
        return {
            "amount": payment.amount,
            "currency": payment.currency,
            "channel": payment.channel,
            "payee_kind": payee.kind,
            "payee_name_official": payee.kind == "individual" and self.official_name(payee.name),
            "memo_typologies": typologies,
            "memo_hits": hits,
            "local_hour": hour,
            "night": 1 <= hour < 6,
            "payer_elderly": profile.elderly,
            "payer_vulnerable": profile.vulnerable,
            "device_new": device.new_device,
            "device_remote_access": device.remote_access_app,
            "device_on_call": device.on_call,
            "device_screen_sharing": device.screen_sharing,
            "payer_out_count_1h": counters.payer_out_count_1h,
            "payer_out_count_24h": counters.payer_out_count_24h,
            "payer_out_count_7d": counters.payer_out_count_7d,
            "payer_out_sum_1h": counters.payer_out_sum_1h,
            "payer_out_sum_24h": counters.payer_out_sum_24h,
            "payer_out_sum_7d": counters.payer_out_sum_7d,
            # how many times the payer's usual amount this is (0 until three earlier payments show a habit)
            "amount_x_usual": payment.amount // usual if usual > 0 else 0,
            "first_to_payee": counters.first_to_payee,
            "payee_distinct_payers_24h": counters.payee_distinct_payers_24h,
            "payee_age_s": counters.payee_age_s,
            "payee_reports": counters.payee_reports,
            "payee_watchlisted": counters.payee_watchlisted,
            "test_then_large": counters.test_then_large,
            "payer_stopped_24h": counters.payer_stopped_24h,
        }
