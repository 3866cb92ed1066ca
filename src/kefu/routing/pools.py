"""The engine's mutable state and the pools that make each decision O(log n).

A *pool* groups every waiting task with the same eligibility: required skills, site (one home site or
all), channel and whether it prefers ``elderly_care`` agents. Tasks of different queues with the same
needs share a pool and compete by rank. Each pool holds two heaps:

* waiting tasks ordered by rank. With linear aging, effective priority at time t is
  ``priority + aging * (t - enqueued_at)``, so the order between two tasks never changes with t and the
  static key ``aging * enqueued_at - priority`` suffices (then enqueued_at, then arrival sequence);
* idle agents eligible for the pool, ordered by skill fit then by the engine's strategy.

Both heaps delete lazily: an entry carries the token (task) or version (agent) it was pushed with, and a
stale entry is dropped when it reaches the top. Because the engine is work conserving, a pool never has
both a valid waiting task and a valid idle agent after an event, which is why a task arriving in a
non-empty pool costs one heap push and nothing else.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from kefu.routing.model import ELDERLY_CARE_SKILL, Presence, TaskState

PoolKey = tuple[tuple[tuple[str, int], ...], str | None, str, bool]
TaskEntry = tuple[float, float, int, int, "Task"]
AgentEntry = tuple[int, int, float, int, int, "Agent"]
_NO_ONE: frozenset[str] = frozenset()


class Task:
    __slots__ = (
        "agent",
        "base_priority",
        "channel",
        "enqueued_at",
        "excluded",
        "excluded_until",
        "home_open",
        "home_s",
        "home_site",
        "offer",
        "pool",
        "preferred",
        "queue",
        "rank",
        "seq",
        "state",
        "step",
        "task_id",
        "token",
        "vulnerable",
    )

    def __init__(
        self,
        *,
        task_id: str,
        queue: QueueState,
        channel: str,
        enqueued_at: float,
        base_priority: int,
        vulnerable: bool,
        home_site: str | None,
        seq: int,
        rank: float,
        home_s: float | None = None,
        preferred: str | None = None,
    ) -> None:
        self.task_id = task_id
        self.queue = queue
        self.channel = channel
        self.enqueued_at = enqueued_at
        self.base_priority = base_priority
        self.vulnerable = vulnerable
        self.home_site = home_site
        self.seq = seq
        self.rank = rank
        self.state = TaskState.WAITING
        self.step = 0
        self.token = 0
        self.pool: Pool | None = None
        self.offer: Offer | None = None
        self.agent: Agent | None = None
        # Agents who declined or missed this task, each until a cool-down ends (``excluded_until``). While
        # someone else eligible is available the task is not offered to them again; once nobody else is,
        # or the cool-down is over, they may have it. Shared empty frozenset until someone declines.
        self.excluded: frozenset[str] = _NO_ONE
        self.excluded_until: dict[str, float] = {}
        # Home site first for at most ``home_s`` seconds (None: as the queue's steps say); then all sites.
        self.home_s = home_s
        self.home_open = False
        self.preferred = preferred  # an agent offered this task first when idle and eligible


class Agent:
    __slots__ = (
        "agent_id",
        "assigned",
        "capacity",
        "excluded_from",
        "free_since",
        "last_offer_seq",
        "load",
        "missed",
        "offers",
        "pools",
        "presence",
        "seq",
        "site",
        "skills",
        "total_capacity",
        "version",
        "wrap_extended",
        "wrap_until",
    )

    def __init__(
        self,
        *,
        agent_id: str,
        site: str,
        skills: dict[str, int],
        capacity: dict[str, int],
        presence: Presence,
        seq: int,
        now: float,
    ) -> None:
        self.agent_id = agent_id
        self.site = site
        self.skills = skills
        self.capacity = capacity
        self.total_capacity = max(1, sum(capacity.values()))
        self.presence = presence
        self.seq = seq
        self.load: dict[str, int] = dict.fromkeys(capacity, 0)
        self.wrap_until: dict[str, float] = {}
        self.wrap_extended: set[str] = set()  # channels whose current wrap-up was extended already
        # Tasks this agent missed or declined: forgiven when the agent comes back available.
        self.excluded_from: set[str] = set()
        self.free_since = now
        self.missed = 0
        self.last_offer_seq = -1
        self.version = 0
        self.offers: dict[str, Offer] = {}
        self.assigned: dict[str, Task] = {}
        self.pools: dict[str, list[Pool]] = {channel: [] for channel in capacity}

    def idle_on(self, channel: str) -> bool:
        """Free for a new offer on ``channel``: available, spare capacity, not in wrap-up there."""
        return (
            self.presence is Presence.AVAILABLE
            and self.load.get(channel, 0) < self.capacity.get(channel, 0)
            and channel not in self.wrap_until
        )

    def level(self, skill: str) -> int:
        return self.skills.get(skill, 0)


class Offer:
    __slots__ = ("agent", "created_at", "expires_at", "offer_id", "task")

    def __init__(self, offer_id: str, task: Task, agent: Agent, created_at: float, expires_at: float) -> None:
        self.offer_id = offer_id
        self.task = task
        self.agent = agent
        self.created_at = created_at
        self.expires_at = expires_at


class QueueState:
    """Per-queue bookkeeping for live figures; routing itself works on pools."""

    __slots__ = ("agents", "pools", "queue_id", "spec", "steps", "waiting", "waiting_heap")

    def __init__(self, queue_id: str, spec: Any, steps: Any) -> None:
        self.queue_id = queue_id
        self.spec = spec
        self.steps = steps
        self.waiting: dict[str, Task] = {}
        self.waiting_heap: list[tuple[float, int, Task]] = []
        self.agents: dict[str, Agent] = {}
        # (step, home site, channel, vulnerable) -> pool: saves hashing the skill tuple per task.
        self.pools: dict[tuple[int, str | None, str, bool], Pool] = {}

    def add_waiting(self, task: Task) -> None:
        self.waiting[task.task_id] = task
        heapq.heappush(self.waiting_heap, (task.enqueued_at, task.seq, task))

    def oldest(self) -> Task | None:
        heap = self.waiting_heap
        while heap and self.waiting.get(heap[0][2].task_id) is not heap[0][2]:
            heapq.heappop(heap)
        if len(heap) > 2 * len(self.waiting) + 64:  # duplicates from requeues: rebuild now and then
            heap[:] = [(t.enqueued_at, t.seq, t) for t in self.waiting.values()]
            heapq.heapify(heap)
        return heap[0][2] if heap else None


class Pool:
    __slots__ = ("agents", "channel", "elderly", "idle", "key", "live", "site", "skills", "tasks")

    def __init__(self, key: PoolKey) -> None:
        self.key = key
        self.skills, self.site, self.channel, self.elderly = key
        self.tasks: list[TaskEntry] = []
        self.idle: list[AgentEntry] = []
        self.live = 0
        self.agents: dict[str, Agent] = {}

    def admits(self, agent: Agent) -> bool:
        """Whether the agent's site, skills and channel capacity meet this pool's needs."""
        if self.site is not None and agent.site != self.site:
            return False
        if agent.capacity.get(self.channel, 0) <= 0:
            return False
        skills = agent.skills
        return all(skills.get(name, 0) >= level for name, level in self.skills)

    # -- waiting tasks -------------------------------------------------------------------------------
    def push_task(self, task: Task) -> None:
        task.token += 1
        task.pool = self
        self.live += 1
        heapq.heappush(self.tasks, (task.rank, task.enqueued_at, task.seq, task.token, task))

    def drop_task(self, task: Task) -> None:
        """Forget a waiting task in O(1); its heap entry turns stale and is skipped later."""
        task.token += 1
        task.pool = None
        self.live -= 1

    def head(self) -> TaskEntry | None:
        """Best valid entry. Every way out of a pool goes through ``drop_task``, which bumps the task's
        token, so a token match alone proves the entry is current."""
        heap = self.tasks
        while heap:
            entry = heap[0]
            if entry[4].token == entry[3]:
                return entry
            heapq.heappop(heap)
        return None

    def best_task_for(self, agent: Agent, held_back: Callable[[Task], bool]) -> TaskEntry | None:
        """Best waiting task here the agent may take; skips (rare) tasks the agent declined before and
        is still held back from (``held_back``)."""
        entry = self.head()
        if entry is None or agent.agent_id not in entry[4].excluded:
            return entry
        aside = []
        while entry is not None and agent.agent_id in entry[4].excluded and held_back(entry[4]):
            aside.append(heapq.heappop(self.tasks))
            entry = self.head()
        for item in aside:
            heapq.heappush(self.tasks, item)
        return entry

    def compact(self) -> None:
        if len(self.tasks) > 2 * self.live + 64:
            self.tasks = [e for e in self.tasks if e[4].token == e[3]]
            heapq.heapify(self.tasks)

    # -- idle agents ---------------------------------------------------------------------------------
    def fit(self, agent: Agent) -> tuple[int, int]:
        """Skill fit, best first as negative numbers: elderly_care level (if preferred), then the sum of
        levels on the required skills."""
        care = agent.level(ELDERLY_CARE_SKILL) if self.elderly else 0
        return -care, -sum(agent.level(name) for name, _ in self.skills)

    def push_idle(self, agent: Agent, strategy_key: float) -> None:
        care, total = self.fit(agent)
        heapq.heappush(self.idle, (care, total, strategy_key, agent.seq, agent.version, agent))
        if len(self.idle) > 4 * len(self.agents) + 64:
            self.idle = [e for e in self.idle if e[5].version == e[4] and e[5].idle_on(self.channel)]
            heapq.heapify(self.idle)

    def best_idle(self, task: Task, held_back: Callable[[Task], bool]) -> Agent | None:
        """Best idle agent for ``task``, or None; leaves the heap intact. The task's preferred agent
        comes first when idle here; an agent who declined the task is skipped while ``held_back``."""
        preferred = self.agents.get(task.preferred) if task.preferred is not None else None
        if preferred is not None and preferred.idle_on(self.channel):
            if preferred.agent_id not in task.excluded or not held_back(task):
                return preferred
        heap = self.idle
        aside = []
        found: Agent | None = None
        held: bool | None = None
        while heap:
            entry = heap[0]
            agent = entry[5]
            if agent.version != entry[4] or not agent.idle_on(self.channel):
                heapq.heappop(heap)
                continue
            if agent.agent_id in task.excluded:
                if held is None:
                    held = held_back(task)
                if held:
                    aside.append(heapq.heappop(heap))
                    continue
            found = agent
            break
        for item in aside:
            heapq.heappush(heap, item)
        return found
