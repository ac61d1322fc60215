"""The Rasa server as this project runs it: its settings (bot/server/settings.py), Rasa speed-ups and the tracker store."""
