"""The append-only audit log: who did what to which case, conversation, customer or payment.

Entries form one hash chain: the store gives each committed entry the next ``seq`` and stores
``hash = SHA-256(prev_hash, entry)``, so rewriting, deleting, reordering or inserting an entry breaks every
link after it. A chain alone can be recomputed by whoever can write the table; checkpoints cannot: each
records the chain's head (``seq``, ``hash``) at a moment, signed with an HMAC of kefu's secret
(``kefu audit checkpoint``, daily). ``verify_chain`` walks the entries and the checkpoints and names what
does not fit (see docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the prev_hash of the first entry


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: str
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    detail: dict[str, Any] = field(default_factory=dict)
    # Set by the store when the entry is committed into the chain (None before, or for a forged row).
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at ``at``, signed: nothing up to ``seq`` can change without the secret."""

    seq: int
    hash: str
    at: datetime
    mac: str


def _canonical(entry: AuditEntry, seq: int) -> bytes:
    # The detail goes through JSON once first, so the digest is the same before storing and after reading.
    body = {
        "seq": seq,
        "id": entry.id,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "detail": json.loads(json.dumps(entry.detail, default=str)),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, entry: AuditEntry, seq: int) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(entry, seq)).hexdigest()


def chained(entries: Iterable[AuditEntry], head_seq: int, head_hash: str) -> list[AuditEntry]:
    """``entries`` linked after the head, in order: each with its ``seq``, ``prev_hash`` and ``hash``."""
    out: list[AuditEntry] = []
    seq, prev = head_seq, head_hash
    for e in entries:
        seq += 1
        digest = chain_hash(prev, e, seq)
        out.append(
            AuditEntry(
                e.id, e.at, e.actor, e.action, e.subject_type, e.subject_id, e.detail, seq, prev, digest
            )
        )
        prev = digest
    return out


def checkpoint_key(secret: str) -> bytes:
    """The checkpoint signing key, derived from kefu's secret (never the token-signing key itself)."""
    return hmac.new(secret.encode(), b"kefu audit checkpoints", hashlib.sha256).digest()


def sign_checkpoint(key: bytes, seq: int, head_hash: str, at: datetime) -> str:
    message = f"{seq}|{head_hash}|{at.astimezone(UTC).isoformat(timespec='microseconds')}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass
class ChainReport:
    """What ``verify_chain`` found: how much it checked, and each problem in words (empty: intact)."""

    entries: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


class ChainVerifier:
    """Checks the chain link by link (fed entries in ``seq`` order), then each checkpoint against it.

    A rewritten entry no longer hashes to its ``hash``; a deleted one leaves a gap in ``seq`` and a
    ``prev_hash`` that points nowhere; reordered or inserted ones break the links around them; a chain
    recomputed after tampering disagrees with a signed checkpoint; a row with no ``seq`` was never chained.
    Only the hashes at checkpointed positions are kept, so a long log is checked in constant memory."""

    def __init__(self, key: bytes, checkpoints: Iterable[Checkpoint]) -> None:
        self._key = key
        self._checkpoints = sorted(checkpoints, key=lambda c: c.seq)
        self._wanted = {c.seq for c in self._checkpoints}
        self._seen: dict[int, str] = {}
        self._next_seq, self._prev = 1, GENESIS
        self.report = ChainReport()

    def feed(self, e: AuditEntry) -> None:
        report = self.report
        report.entries += 1
        if e.seq is None or e.hash is None or e.prev_hash is None:
            report.problems.append(f"entry {e.id} is not in the chain")
            return
        if e.seq != self._next_seq:
            report.problems.append(f"seq {e.seq} follows {self._next_seq - 1}: entries missing or reordered")
        if e.prev_hash != self._prev:
            report.problems.append(f"entry {e.id} (seq {e.seq}) does not link to the entry before it")
        if chain_hash(e.prev_hash, e, e.seq) != e.hash:
            report.problems.append(f"entry {e.id} (seq {e.seq}) was changed after it was written")
        if e.seq in self._wanted:
            self._seen[e.seq] = e.hash
        self._next_seq, self._prev = e.seq + 1, e.hash

    def finish(self, unchained: int = 0) -> ChainReport:
        report = self.report
        report.head_seq, report.head_hash = self._next_seq - 1, self._prev
        if unchained:
            report.problems.append(f"{unchained} entries are not in the chain (written around kefu)")
        for cp in self._checkpoints:
            report.checkpoints += 1
            if not hmac.compare_digest(sign_checkpoint(self._key, cp.seq, cp.hash, cp.at), cp.mac):
                report.problems.append(f"checkpoint at seq {cp.seq} is not signed with this secret")
            elif cp.seq not in self._seen:
                report.problems.append(f"checkpoint at seq {cp.seq}: that entry is gone (log truncated)")
            elif self._seen[cp.seq] != cp.hash:
                report.problems.append(f"checkpoint at seq {cp.seq}: the chain up to it was rewritten")
        return report


def verify_chain(
    entries: Iterable[AuditEntry], checkpoints: Iterable[Checkpoint], key: bytes, unchained: int = 0
) -> ChainReport:
    """``ChainVerifier`` over a whole list of entries at once."""
    verifier = ChainVerifier(key, checkpoints)
    for e in entries:
        verifier.feed(e)
    return verifier.finish(unchained)
