"""Rasa's command line with this project's server settings applied first
(bot/server/settings.py): ``python -m bot.server run --enable-api ...``
takes the same arguments as ``rasa``."""

import sys

from bot.core.dependency_warnings import silence

silence()  # before Rasa and its dependencies are imported: they print no deprecation notices

from bot.server import settings  # noqa: E402

if __name__ == "__main__":
    settings.configure()
    from rasa.__main__ import main

    sys.argv = ["rasa", *settings.rasa_arguments(sys.argv[1:])]
    main()
