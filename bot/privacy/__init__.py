"""Personal data: retention, export and erasure (bot/privacy/retention.py),
the privacy notice citizens see (data/privacy.yml), docs/privacy.md."""
