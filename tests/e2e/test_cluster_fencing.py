"""A router paused (SIGSTOP) past its lease and resumed: a standby took over meanwhile, and the paused
router's late writes (the offer expiry and the new offer its stale engine decides at once) are refused by
the fencing token; the database keeps one offer at a time for the chat."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from kefu.bench.processes import Cluster
from tests.conftest import Database
from tests.e2e import test_cluster as base
from tests.e2e.test_cluster import (
    _overlaps,
    active_router,
    api_token,
    go_available,
    open_chat,
    query,
    wait_for_lease,
)
from tests.e2e.test_server_process import PASSWORD, bearer, create_user_token, free_port

pytestmark = pytest.mark.slow

cluster_env, cluster = base.cluster_env, base.cluster  # the same fixtures as the load test

OFFER_S = 3.0  # KEFU_OFFER_TIMEOUT_S of the cluster fixture
WAIT_S = 60.0  # a deadline for the paused router's reaction, not a measure


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_paused_router_resumed_after_a_takeover_writes_nothing(
    database: Database, cluster: Cluster, tmp_path: Path
) -> None:
    """SIGSTOP the active router with an offer pending, past its lease and the offer's timeout; the standby
    takes over (token + 1) and expires and re-offers it; SIGCONT: the old router's writes are refused, it
    stands by, and the database never held two offers of the chat at once."""
    api = cluster.add_api(free_port())
    cluster.add_router()
    cluster.add_router()
    cluster.start()
    with httpx.Client(base_url=api.url or "", timeout=15.0) as client:
        admin = create_user_token("admin", "admin", cluster.env, tmp_path)
        made = client.post("/api/v1/users", json={"username": "gateway", "password": PASSWORD,
                           "role": "integration"}, headers=bearer(admin))  # fmt: skip
        assert made.status_code == 201, made.text
        agents: dict[str, str] = {}
        for name, site in (("li", "wuhan"), ("wang", "hefei")):
            user = {"username": name, "password": PASSWORD, "role": "agent"}
            made = client.post("/api/v1/users", json=user, headers=bearer(admin))
            assert made.status_code == 201, made.text
            body = {
                "name": name,
                "site": site,
                "skills": {"social": 3},
                "capacity": {"chat": 1},
                "username": name,
            }
            agent = client.post("/api/v1/agents", json=body, headers=bearer(admin))
            assert agent.status_code == 201, agent.text
            agents[agent.json()["id"]] = api_token(client, admin, name)
        wait_for_lease(database)
        go_available([client, client], agents)
        conv = open_chat(client, api_token(client, admin, "gateway"), 1)
        deadline = time.monotonic() + WAIT_S
        while not query(database, "SELECT id FROM offers WHERE status = 'pending'"):
            assert time.monotonic() < deadline, "the chat was never offered"
            time.sleep(0.1)
        paused, token = active_router(database, cluster)
        paused.signal(signal.SIGSTOP)
        holder, new_token, _ = wait_for_lease(database, newer_than=token)
        assert holder != paused.label and new_token == token + 1
        # The new router expires the pending offer and offers the chat again (to the other agent).
        while len(query(database, "SELECT id FROM offers")) < 2:
            assert time.monotonic() < deadline + WAIT_S, "the standby did not re-offer the chat"
            time.sleep(0.1)
        time.sleep(OFFER_S)  # the paused engine's offer is long due: it will act the moment it runs
        offers_before = query(database, "SELECT id, status FROM offers ORDER BY created_at")
        paused.signal(signal.SIGCONT)
        deadline = time.monotonic() + WAIT_S
        # Its stale engine acts at once (the offer it knew is long due) and its write is refused by its token,
        # checked against the lease row in the write's own transaction.
        refused = f"routing write refused: lease lost partition=all token={token}"
        while not all(line in paused.log() for line in ("router standing by", refused)):
            assert time.monotonic() < deadline, f"the resumed router did not stand by:\n{paused.log()}"
            time.sleep(0.1)
        (lease,) = query(database, "SELECT holder, token FROM router_leases")
        assert (lease["holder"], lease["token"]) == (holder, new_token)
        offers = query(database, "SELECT id, status, created_at, expires_at, decided_at FROM offers")
        # Nothing the resumed router decided is in the database: no offer of the chat beside the new one.
        assert {o["id"] for o in offers_before} <= {o["id"] for o in offers}
        spans = [(o["created_at"], o["decided_at"] or o["expires_at"]) for o in offers]
        assert _overlaps(spans) == 1
        (row,) = query(database, "SELECT status FROM conversations WHERE id = $1", conv)
        assert row["status"] == "queued"
