"""Storage of routing: queues, tasks and offers."""
