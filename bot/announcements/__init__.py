"""Announcements (kênh tuyên truyền): an officer drafts one for units they
see, a commander of every target unit approves or rejects it, and an approved
one is published: sent to the citizens of the target units' Zalo OAs within
Zalo's messaging rules, and answered in chat ("tin mới").

* store.py: the tables, creation and review (one guarded SQL statement per
  state change: several processes share the database);
* publish.py: publishing (why consultation messages, not Zalo's broadcast);
* chat.py: the newest published announcements for a citizen's unit.
"""
