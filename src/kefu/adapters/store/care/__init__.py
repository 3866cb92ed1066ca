"""Storage of care: callbacks and the knowledge base self-service answers from."""
