"""Store of the agent workspace's own records: canned responses (migration 0016)."""
