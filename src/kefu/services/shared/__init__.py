"""Handlers every job shares: users, customers, agents, conversations, and routable tasks."""
