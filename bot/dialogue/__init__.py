"""Dialogue components for Rasa's graph (policies)."""
