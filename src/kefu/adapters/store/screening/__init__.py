"""Storage of screening: screenings, cases, payee reports, watchlist, trusted payees, rule sets."""
