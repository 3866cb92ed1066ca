"""Parsing screening requests into payments: money as integers, aware times, clear field errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.screening import InvalidPayment, PayerProfile, Payment

REQUEST = {
    "payment_id": "pay-1",
    "payer": {"customer_id": "c-1"},
    "payee": {"account_id": "acct-9", "name": "边防战士 李强", "kind": "individual"},
    "amount": 10_000_000,
    "currency": "CNY",
    "channel": "transfer",
    "memo": "捐款",
    "created_at": "2026-11-03T10:00:00+08:00",
    "device": {"new_device": False, "remote_access_app": True, "on_call": True, "screen_sharing": False},
}


def test_request_round_trip():
    """A screening request parses to a Payment in UTC and serialises back to the same request."""
    payment = Payment.from_dict(REQUEST)
    assert payment.created_at == datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    assert payment.device.remote_access_app and payment.device.on_call
    again = Payment.from_dict(payment.to_dict())
    assert again == payment
    assert payment.to_dict()["created_at"] == "2026-11-03T02:00:00Z"


def test_external_payer_id_is_accepted():
    """A payer known only by the payments side's external id can be screened."""
    payment = Payment.from_dict({**REQUEST, "payer": {"external_id": "ext-7"}})
    assert payment.payer_id == "ext-7"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 100.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 0}, "amount"),
        ({"currency": "yuan"}, "currency"),
        ({"channel": "cash"}, "channel"),
        ({"created_at": "2026-11-03T10:00:00"}, "created_at"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"payer": {}}, "payer"),
        ({"payee": {"account_id": "a", "kind": "robot"}}, "payee.kind"),
        ({"payment_id": ""}, "payment_id"),
        ({"device": "yes"}, "device"),
    ],
)
def test_bad_requests_name_the_field(change, field):
    """Each malformed request raises InvalidPayment (422) naming the field; money is never a float."""
    with pytest.raises(InvalidPayment) as info:
        Payment.from_dict({**REQUEST, **change})
    assert info.value.field == field
    assert info.value.status == 422


def test_profile_defaults_and_round_trip():
    """A missing profile means an ordinary adult on Beijing time; a full one round-trips."""
    assert PayerProfile.from_dict(None) == PayerProfile()
    profile = PayerProfile(True, False, "Europe/London", frozenset({"acct-son"}))
    assert PayerProfile.from_dict(profile.to_dict()) == profile
