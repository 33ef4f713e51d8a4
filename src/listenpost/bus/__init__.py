"""bus domain."""
