"""The fan-out hub: every node's WebSocket clients by stream and subscription; a frame is
encoded once and the same bytes are written to every matching client, slow clients shed."""
