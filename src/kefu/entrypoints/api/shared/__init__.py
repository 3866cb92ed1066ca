"""Routes and bodies every job shares: auth and users, sites, customers, agents, conversations, health."""
