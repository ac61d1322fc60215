"""Limits every channel applies to what a citizen sends (docs/security.md)."""

# Characters of one message handed to Rasa: Zalo's own cap on a text
# message (../shared/reference/zalo_oa_protocol.md). Rasa's NLU runs on the
# server's event loop: 400,000 characters once held every other citizen
# for 5 s.
MAX_MESSAGE_CHARS = 2000
