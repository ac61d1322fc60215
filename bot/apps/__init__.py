"""Entry points of the processes: the launcher (scripts/run) and the web server."""
