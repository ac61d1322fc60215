"""Custom actions, one module per domain. ``warm_up()`` loads what they read
(the knowledge base takes seconds) before the action server takes calls, so
no citizen's first question waits for it (bot/apps/actions.py)."""


def warm_up() -> None:
    from actions.procedures import knowledge

    knowledge()
