"""Builders of domain objects for the contract tests: valid by default, one keyword to change a field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kefu.care import Callback, CallbackState
from kefu.care.records import CallbackRecord
from kefu.domain.agents import Agent
from kefu.domain.cases import Case
from kefu.domain.conversations import Conversation
from kefu.domain.customers import Customer
from kefu.domain.payments import ScreeningRecord
from kefu.domain.tasks import Task
from kefu.domain.users import User
from tests.integration.contract.conftest import T0


def user(n: int, **more: Any) -> User:
    return User(**{"id": f"u-{n:03}", "username": f"user{n}", "password_hash": "x", "role": "agent",
                   "created_at": T0, **more})  # fmt: skip


def customer(n: int, **more: Any) -> Customer:
    return Customer(**{"id": f"c-{n:03}", "external_id": f"ext-{n}", "name": f"客户{n}", "language": "zh",
                       "created_at": T0, "updated_at": T0, **more})  # fmt: skip


def agent(n: int, **more: Any) -> Agent:
    return Agent(**{"id": f"a-{n:03}", "name": f"坐席{n}", "site": "wuhan", "skills": {"social": 2},
                    "capacity": {"chat": 2}, "created_at": T0, "updated_at": T0, **more})  # fmt: skip


def conversation(n: int, customer_id: str = "c-001", **more: Any) -> Conversation:
    return Conversation(**{"id": f"v-{n:03}", "customer_id": customer_id, "business_line": "social",
                           "channel": "chat", "queue": "social", "priority": 0, "status": "queued",
                           "created_at": T0, "updated_at": T0, **more})  # fmt: skip


def task(n: int, **more: Any) -> Task:
    return Task(**{"id": f"t-{n:03}", "kind": "conversation", "subject_id": f"v-{n:03}", "queue_id": "social",
                   "channel": "chat", "priority": 0, "care": False, "state": "waiting",
                   "enqueued_at": T0 + timedelta(seconds=n), **more})  # fmt: skip


def case(n: int, **more: Any) -> Case:
    return Case(**{"id": f"k-{n:03}", "payment_id": f"p-{n:03}", "customer_id": None, "payer_id": "payer",
                   "payee_account": "payee", "payee_name": "某某", "amount": 10_000, "currency": "CNY",
                   "score": 90, "reasons": [{"rule": "r1"}], "typology": "impersonation",
                   "rule_set_version": "v1", "elderly": False, "opened_at": T0,
                   "hold_expires_at": T0 + timedelta(hours=1), **more})  # fmt: skip


def screening(n: int, **more: Any) -> ScreeningRecord:
    return ScreeningRecord(**{"payment_id": f"p-{n:03}", "customer_id": None, "payer_id": "payer",
                              "payee_account": "payee", "amount": 10_000, "currency": "CNY",
                              "decision": "hold", "score": 80, "typology": "impersonation",
                              "rule_set_version": "v1", "result": {"reasons": []}, "screened_at": T0,
                              "status": "held", **more})  # fmt: skip


def callback(n: int, wake: timedelta = timedelta(0), **more: Any) -> CallbackRecord:
    cb = Callback(id=f"b-{n:03}", customer_id="c-001", reason="call me", window_start=T0,
                  window_end=T0 + timedelta(hours=2), state=CallbackState.SCHEDULED,
                  next_attempt_at=T0 + wake)  # fmt: skip
    return CallbackRecord(**{"callback": cb, "queue_id": "social", "care": False, "created_at": T0,
                             "updated_at": T0, **more})  # fmt: skip
