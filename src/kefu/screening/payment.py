"""The payment being screened and what we know about its payer.

``Payment`` mirrors the screening request of ``POST /api/v1/payments/screen``; ``PayerProfile`` comes from the
customer record (age band, vulnerability, home timezone, trusted payees such as family). Both are frozen:
a decision must be reproducible from exactly what it saw. Money is integer minor units plus a currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from kefu.domain.money import is_currency
from kefu.screening.errors import InvalidPayment

PayeeKind = Literal["individual", "merchant", "organisation"]
Channel = Literal["transfer", "red_packet", "qr", "merchant"]
PAYEE_KINDS: frozenset[str] = frozenset({"individual", "merchant", "organisation"})
CHANNELS: frozenset[str] = frozenset({"transfer", "red_packet", "qr", "merchant"})


@dataclass(frozen=True, slots=True)
class Payee:
    account_id: str
    name: str
    kind: PayeeKind = "individual"


@dataclass(frozen=True, slots=True)
class DeviceSignals:
    new_device: bool = False
    remote_access_app: bool = False
    on_call: bool = False
    screen_sharing: bool = False


NO_DEVICE_SIGNALS = DeviceSignals()


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment as the payments side asks us to screen it."""

    payment_id: str
    payer_id: str
    payee: Payee
    amount: int
    currency: str
    channel: Channel
    created_at: datetime
    memo: str = ""
    device: DeviceSignals = NO_DEVICE_SIGNALS

    def __post_init__(self) -> None:
        if type(self.amount) is not int or self.amount <= 0:
            raise InvalidPayment("amount must be a positive integer number of minor units", "amount")
        if self.created_at.tzinfo is None:
            raise InvalidPayment("created_at must be timezone-aware", "created_at")
        if not is_currency(self.currency):
            raise InvalidPayment("currency must be an ISO 4217 code such as CNY", "currency")

    def to_dict(self) -> dict[str, Any]:
        """The screening request body for this payment (JSON-able)."""
        return {
            "payment_id": self.payment_id,
            "payer": {"customer_id": self.payer_id},
            "payee": {"account_id": self.payee.account_id, "name": self.payee.name, "kind": self.payee.kind},
            "amount": self.amount,
            "currency": self.currency,
            "channel": self.channel,
            "memo": self.memo,
            "created_at": self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "device": {
                "new_device": self.device.new_device,
                "remote_access_app": self.device.remote_access_app,
                "on_call": self.device.on_call,
                "screen_sharing": self.device.screen_sharing,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Payment:
        """Parse a screening request body; raises ``InvalidPayment`` naming the first bad field."""
        payer = _mapping(data, "payer")
        payer_id = payer.get("customer_id") or payer.get("external_id")
        if not isinstance(payer_id, str) or not payer_id:
            raise InvalidPayment("payer needs a customer_id or external_id", "payer")
        payee = _mapping(data, "payee")
        kind = payee.get("kind", "individual")
        if kind not in PAYEE_KINDS:
            raise InvalidPayment(f"payee.kind must be one of {sorted(PAYEE_KINDS)}", "payee.kind")
        channel = data.get("channel", "transfer")
        if channel not in CHANNELS:
            raise InvalidPayment(f"channel must be one of {sorted(CHANNELS)}", "channel")
        amount = data.get("amount")
        if type(amount) is not int:
            raise InvalidPayment("amount must be an integer number of minor units", "amount")
        device = data.get("device") or {}
        if not isinstance(device, Mapping):
            raise InvalidPayment("device must be an object", "device")
        return cls(
            payment_id=_text(data, "payment_id"),
            payer_id=payer_id,
            payee=Payee(_text(payee, "account_id"), str(payee.get("name", "")), cast(PayeeKind, kind)),
            amount=amount,
            currency=_text(data, "currency"),
            channel=cast(Channel, channel),
            created_at=parse_time(data.get("created_at")),
            memo=str(data.get("memo") or ""),
            device=DeviceSignals(
                new_device=bool(device.get("new_device", False)),
                remote_access_app=bool(device.get("remote_access_app", False)),
                on_call=bool(device.get("on_call", False)),
                screen_sharing=bool(device.get("screen_sharing", False)),
            ),
        )


@dataclass(frozen=True, slots=True)
class PayerProfile:
    """What the customer record tells screening about the payer."""

    elderly: bool = False
    vulnerable: bool = False
    timezone: str = "Asia/Shanghai"
    trusted_payees: frozenset[str] = field(default_factory=frozenset)

    def to_dict(self) -> dict[str, Any]:
        return {
            "elderly": self.elderly,
            "vulnerable": self.vulnerable,
            "timezone": self.timezone,
            "trusted_payees": sorted(self.trusted_payees),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PayerProfile:
        if not data:
            return DEFAULT_PROFILE
        return cls(
            elderly=bool(data.get("elderly", False)),
            vulnerable=bool(data.get("vulnerable", False)),
            timezone=str(data.get("timezone", "Asia/Shanghai")),
            trusted_payees=frozenset(str(x) for x in data.get("trusted_payees", ())),
        )


DEFAULT_PROFILE = PayerProfile()


def parse_time(value: object) -> datetime:
    """An ISO 8601 instant with an offset (``Z`` allowed), as aware UTC."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidPayment(f"created_at is not an ISO 8601 time: {value!r}", "created_at") from exc
    else:
        raise InvalidPayment("created_at is required", "created_at")
    if when.tzinfo is None:
        raise InvalidPayment("created_at must carry a timezone offset", "created_at")
    return when.astimezone(UTC)


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise InvalidPayment(f"{key} must be an object", key)
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidPayment(f"{key} must be a non-empty string", key)
    return value
