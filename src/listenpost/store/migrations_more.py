"""Schema steps added by later features (composite events, radio)."""
