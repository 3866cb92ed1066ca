"""Counter stores for screening: the in-memory one lives in ``kefu.screening``; Redis lives here."""

from kefu.adapters.counters.redis_store import RedisCounterStore

__all__ = ["RedisCounterStore"]
