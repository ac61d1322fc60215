"""Shared foundations: paths, the project database, content files, police units, URLs, time."""
