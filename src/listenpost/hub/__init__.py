"""hub domain."""
