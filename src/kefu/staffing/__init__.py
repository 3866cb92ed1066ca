"""Staffing: Erlang C sizing of queues (pure). The discrete-event check lives in ``kefu.sim.centre``."""

from kefu.staffing.erlang import ErlangC, erlang_b, erlang_c, erlang_c_at, required_agents

__all__ = ["ErlangC", "erlang_b", "erlang_c", "erlang_c_at", "required_agents"]
