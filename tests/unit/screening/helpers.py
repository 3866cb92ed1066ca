"""Builders shared by the screening unit tests: explicit times, no clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kefu.screening import DeviceSignals, Payee, Payment

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def pay(
    pid: str,
    payer: str = "c-1",
    payee: str = "acct-1",
    amount: int = 10_000,
    at: datetime = T0,
    *,
    minutes: float = 0,
    name: str = "王芳",
    kind: str = "individual",
    channel: str = "transfer",
    memo: str = "",
    device: DeviceSignals | None = None,
) -> Payment:
    return Payment(
        payment_id=pid,
        payer_id=payer,
        payee=Payee(payee, name, kind),  # type: ignore[arg-type]
        amount=amount,
        currency="CNY",
        channel=channel,  # type: ignore[arg-type]
        created_at=at + timedelta(minutes=minutes),
        memo=memo,
        device=device or DeviceSignals(),
    )
