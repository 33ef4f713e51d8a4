"""composite domain."""
