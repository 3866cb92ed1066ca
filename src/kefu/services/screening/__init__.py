"""Screening (劝阻止付): screening payments, intervention cases, payees, the hold keeper and statistics."""
