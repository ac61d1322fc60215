"""What the assistant did not serve, and what content staff make of it.

- ``capture``: the custom actions keep each message not served (masked by
  ``masking``) in the project database (``store``);
- ``grouping``: similar messages together;
- ``queue``: giving a message (or a group) to a procedure or another agency
  as a new example (``content`` writes the file), or skipping it; audited;
- ``retrain``: a new model trained from the content, checked on the held-out
  sets and put live on every Rasa replica (``swap``);
- the console page "Câu hỏi cần xử lý" (bot/console/review.py) and the
  command ``python -m bot.review`` (``__main__``) call ``queue`` and ``retrain``.

Settings: data/review.yml."""
