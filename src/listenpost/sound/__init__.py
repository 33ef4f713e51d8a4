"""Sound events (the Deeply API): mics, events and their ingest (ingest.py: validate, judge
thresholds, group commit, publish), the REST endpoints and `/api/v1/ws`."""
