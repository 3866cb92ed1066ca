"""Routing: the router that keeps the engine durable, queues, and the live wallboard."""
