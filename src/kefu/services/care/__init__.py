"""Care: triage and self-service, callbacks, follow-ups, the knowledge base and the callback scheduler."""
