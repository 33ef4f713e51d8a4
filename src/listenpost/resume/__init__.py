"""Resume after reconnect: offsets, epochs, replay from bounded history, and the seam."""
