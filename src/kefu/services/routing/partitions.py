"""Partitions: named groups of queues, each routed by one active router (``kefu router --partition``).

``KEFU_PARTITIONS`` names them: ``anti_fraud=anti_fraud;payments=payments,elderly_care``. Every queue
named in no partition belongs to the partition ``all``; with nothing configured, ``all`` holds every queue,
which is the embedded default and the usual small cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.domain.errors import ConfigurationError

ALL = "all"
_NAME = re.compile(r"^[a-z0-9_]{1,40}$")


@dataclass(frozen=True, slots=True)
class Partitions:
    """Which partition routes which queue."""

    named: dict[str, frozenset[str]]

    @property
    def names(self) -> list[str]:
        return [*sorted(self.named), ALL]

    def of(self, queue_id: str) -> str:
        for name, queues in self.named.items():
            if queue_id in queues:
                return name
        return ALL

    def queues(self, partition: str) -> frozenset[str] | None:
        """The queues a partition routes; None for ``all`` (every queue named nowhere, decided per queue)."""
        if partition == ALL:
            return None
        if partition not in self.named:
            raise ConfigurationError(
                f"no partition {partition!r} in KEFU_PARTITIONS ({', '.join(self.names)})"
            )
        return self.named[partition]

    def routes(self, partition: str, queue_id: str) -> bool:
        return self.of(queue_id) == partition


def parse_partitions(text: str) -> Partitions:
    """``name=queue,queue;name=queue`` → ``Partitions``; a queue in two partitions is refused."""
    named: dict[str, frozenset[str]] = {}
    seen: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, queues = part.partition("=")
        name = name.strip()
        members = frozenset(q.strip() for q in queues.split(",") if q.strip())
        if not sep or not _NAME.match(name) or name == ALL or not members or name in named:
            raise ConfigurationError(f"KEFU_PARTITIONS: cannot read {part!r}; write name=queue,queue;…")
        for queue in members:
            if queue in seen:
                raise ConfigurationError(
                    f"KEFU_PARTITIONS: queue {queue!r} is in {seen[queue]!r} and {name!r}"
                )
            seen[queue] = name
        named[name] = members
    return Partitions(named)
