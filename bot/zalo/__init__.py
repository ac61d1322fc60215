"""Zalo Official Account Open API: signature, accounts, storage, client, outbox.

The Rasa channel itself is channels/zalo.py; the protocol facts it follows
are in ../shared/reference/zalo_oa_protocol.md.
"""
