"""cluster domain: work done once across nodes sharing a PostgreSQL database (leases, the
composite leader's event feed, rule changes made on other nodes)."""
