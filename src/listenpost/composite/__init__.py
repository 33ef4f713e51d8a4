"""Composite events: rules (window, min_events, group_by, label and mic filters) that group
base sound events into one record; a pure engine (engine.py, index.py) behind thin I/O."""
