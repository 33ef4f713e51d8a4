"""API keys, access tokens and who may do what: the REST and WebSocket gate, key revocation
reaching open sockets (watch.py), rate limits."""
