"""The cross-node message bus: one interface (base.py) over memory:// (in process), Redis
streams and NATS JetStream; what a node publishes after a commit reaches every node's hub."""
