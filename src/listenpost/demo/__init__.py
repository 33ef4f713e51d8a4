"""`listenpost demo`: a live, realistic data set for the dashboard on a fresh machine.

Pure generators (no I/O, deterministic for a given random seed): `place` (the microphones),
`sound` (events, bursts and their timing), `radio` (the trunk-recorder fixtures as a
timed script), `retime` (fresh times in a fixture message), `wav` (a short call recording).
The I/O shell: `fixture_files` (reads the packaged fixtures), `client` (the REST API),
`sinks` (radio into a RadioProcessor or an MQTT broker), `feed` (the loops and progress
log) and `main` (the command: a throwaway server, or `--url` a running one).
"""
