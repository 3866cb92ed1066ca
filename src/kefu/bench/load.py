"""An HTTP load generator that costs less than the server it measures.

Two shapes of load over keep-alive HTTP/1.1 connections with the bare minimum of parsing:

- **closed loop**: N connections, each sends its next request as soon as the previous answer arrives; the
  throughput is what the server sustains at that concurrency.
- **open loop**: request *i* is due at ``start + i / rate`` whatever happened before, and its latency is
  measured from that due time, so a slow server cannot hide its queueing by slowing the client down
  (coordinated omission).

Every request body is built before the clock starts (unique ids are the caller's job). The report gives
throughput, p50/p90/p99/max, status counts, the generator's own CPU and the server's (read from /proc for
the server's whole process tree), and the machine's idle CPU over the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class Request:
    """One prepared request: method, path and an already encoded JSON body (empty for a GET)."""

    method: str
    path: str
    body: bytes = b""


@dataclass(slots=True)
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bodies: list[bytes] = field(default_factory=list)
    errors: int = 0
    done: int = 0


class Connection:
    """One keep-alive HTTP/1.1 connection: writes a request, reads status line, headers and the body."""

    def __init__(self, port: int, token: str | None) -> None:
        self.port = port
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.headers = f"Host: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        line = f"{request.method} {request.path} HTTP/1.1\r\n".encode()
        self.writer.write(
            line + self.headers + b"Content-Length: %d\r\n\r\n" % len(request.body) + request.body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for header in head.split(b"\r\n"):
            if header[:15].lower() == b"content-length:":
                length = int(header[15:])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and every live descendant, from /proc (0 where unreadable)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        child, parent = int(entry.name), int(fields[1])
        children.setdefault(parent, []).append(child)
        times[child] = (int(fields[11]) + int(fields[12])) / _TICKS
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(children.get(current, []))
    return total


def _machine_idle() -> tuple[float, float]:
    """(idle, total) jiffies of the whole machine so far."""
    try:
        parts = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    return parts[3] + parts[4], sum(parts)


def quantile(sorted_ms: Sequence[float], q: float) -> float:
    if not sorted_ms:
        return 0.0
    return round(sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * q))], 2)


class _Progress:
    """A one-line progress bar on stderr, redrawn at most five times a second (silent when not a tty)."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.total, self.label = total, label
        self.enabled = enabled and sys.stderr.isatty()
        self.last = 0.0

    def show(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.2 and done < self.total):
            return
        self.last = now
        width = 30
        filled = int(width * done / max(1, self.total))
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}")
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


async def run_load(
    port: int,
    token: str | None,
    requests: Sequence[Request],
    *,
    connections: int,
    rate: float | None = None,
    server_pid: int | None = None,
    keep_bodies: bool = False,
    label: str = "load",
    progress: bool = True,
    check: Callable[[int, bytes], bool] | None = None,
) -> dict[str, Any]:
    """Send every request once: closed loop over ``connections`` when ``rate`` is None, else open loop at
    ``rate`` per second (still over at most ``connections`` connections). A request answered with a status
    outside 2xx, or refused by ``check``, or failing in transport, counts as an error."""
    tally = _Tally()
    bar = _Progress(len(requests), label, progress)
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def worker() -> None:
        conn = Connection(port, token)
        try:
            while (item := await queue.get()) is not None:
                i, due = item
                if rate is None:  # closed loop: latency runs from when this connection sends
                    due = time.perf_counter()
                try:
                    status, payload = await conn.send(requests[i])
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    tally.errors += 1
                    await conn.close()
                    continue
                finally:
                    tally.done += 1
                    bar.show(tally.done)
                tally.latencies.append((time.perf_counter() - due) * 1000)
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
                if not 200 <= status < 300 or (check is not None and not check(status, payload)):
                    tally.errors += 1
                if keep_bodies:
                    tally.bodies.append(payload)
        finally:
            await conn.close()

    own_cpu = time.process_time()
    server_cpu = process_tree_cpu_s(server_pid) if server_pid else 0.0
    idle0, total0 = _machine_idle()
    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter()
    late = await _dispatch(queue, len(requests), rate, start)
    if rate is not None:
        start += 0.05
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    cpu = _cpu_used(own_cpu, server_pid, server_cpu, idle0, total0, elapsed)
    result = _report(tally, elapsed, connections, len(requests), rate is None, cpu)
    if rate is not None:
        result["target_rate_per_s"] = rate
        result["dispatched_late_over_5ms"] = late
    if keep_bodies:
        result["_bodies"] = tally.bodies
    return result


async def _dispatch(
    queue: asyncio.Queue[tuple[int, float] | None], count: int, rate: float | None, start: float
) -> int:
    """Queue every request: all at once (closed loop: a connection takes the next when it is free), or
    each at its due time (open loop); the number dispatched more than 5 ms late."""
    if rate is None:
        for i in range(count):
            queue.put_nowait((i, 0.0))
        return 0
    late = 0
    start += 0.05
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            late += 1
        queue.put_nowait((i, due))
    return late


def _cpu_used(
    own_cpu: float, server_pid: int | None, server_cpu: float, idle0: float, total0: float, elapsed: float
) -> dict[str, float | None]:
    """Cores used by the generator and the server over ``elapsed`` seconds, and cores left idle."""
    idle1, total1 = _machine_idle()
    own = time.process_time() - own_cpu
    server = (process_tree_cpu_s(server_pid) - server_cpu) if server_pid else None
    machine = total1 - total0
    return {
        "generator_cores": round(own / elapsed, 2),
        "server_cores": None if server is None else round(server / elapsed, 2),
        "machine_idle_cores": round((idle1 - idle0) / machine * (os.cpu_count() or 1), 2)
        if machine
        else None,
    }


def _report(
    tally: _Tally, elapsed: float, connections: int, requests: int, closed: bool, cpu: dict[str, float | None]
) -> dict[str, Any]:
    tally.latencies.sort()
    return {
        "shape": "closed loop" if closed else "open loop",
        "connections": connections,
        "requests": requests,
        "seconds": round(elapsed, 2),
        "throughput_per_s": round(tally.done / elapsed, 1),
        "latency_ms": {
            "p50": quantile(tally.latencies, 0.50),
            "p90": quantile(tally.latencies, 0.90),
            "p99": quantile(tally.latencies, 0.99),
            "max": round(tally.latencies[-1], 2) if tally.latencies else 0.0,
        },
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "errors": tally.errors,
        "cpu": cpu,
    }


__all__ = ["Connection", "Request", "process_tree_cpu_s", "quantile", "run_load"]
