"""Zalo as a transport underneath the features: Official Account Open API
events (events.py), signature, accounts, storage (one way into the outbox:
ZaloStore.enqueue, and the audience of announcements), client and outbox.
Emergencies reach the intake through a hook (intake.Emergencies); the
processes wire the features in (bot/apps/intake.py, channels/zalo.py).

The Rasa channel itself is channels/zalo.py; the protocol facts the code
follows are in docs/zalo_protocol.md.
"""
