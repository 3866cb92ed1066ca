"""Keep-your-place against a real ``kefu serve``: the real clock moves between reads, unlike a frozen one."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database
from tests.e2e.test_server_process import KefuServer, bearer, create_user_token, hermetic_env

pytestmark = pytest.mark.slow


def test_a_waiting_voice_caller_can_take_a_callback_from_a_running_server(
    sqlite_database: Database, tmp_path: Path
) -> None:
    """POST /conversations/{id}/callback answers 201 with a due callback, not 409, in a live process."""
    env = hermetic_env(sqlite_database, KEFU_CALLBACK_OFFER_S="0")
    token = create_user_token("gateway", "integration", env, tmp_path)
    server = KefuServer(env, tmp_path)
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers=bearer(token), timeout=10.0) as client:
            customer = client.post(
                "/api/v1/customers",
                json={"external_id": f"kp-{uuid.uuid4().hex[:8]}", "name": "张伟", "phone": "13800000000"},
            )
            assert customer.status_code == 201, customer.text
            voice = client.post(
                "/api/v1/conversations",
                json={
                    "customer_id": customer.json()["id"],
                    "business_line": "payments",
                    "channel": "voice",
                    "text": "我的付款被扣了两次",
                },
            )
            assert voice.status_code == 201, voice.text
            url = f"/api/v1/conversations/{voice.json()['id']}/callback"
            # With KEFU_CALLBACK_OFFER_S=0 the offer opens as soon as the clock has moved at all.
            deadline = time.monotonic() + 10.0
            while True:
                r = client.post(url, json={"phone": "13900000000"})
                if r.status_code != 409 or r.json().get("code") != "callback_not_offered":
                    break
                assert time.monotonic() < deadline, r.text
            assert r.status_code == 201, r.text
            callback = r.json()
            assert (callback["origin"], callback["status"]) == ("keep_place", "due")
            assert (client.get(f"/api/v1/conversations/{voice.json()['id']}")).json()["status"] == "queued"
    finally:
        server.stop()
