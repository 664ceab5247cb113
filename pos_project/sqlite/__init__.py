"""The SQLite database backend (see base.py)."""
