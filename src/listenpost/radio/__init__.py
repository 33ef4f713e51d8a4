"""radio domain."""
