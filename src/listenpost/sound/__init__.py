"""sound domain."""
