"""Storage: every SQL statement lives here (SQLite or PostgreSQL through SQLAlchemy), with the
tables, migrations, group commit and the ordering of offsets across nodes. Callers get rows
or domain errors, never HTTP errors."""
