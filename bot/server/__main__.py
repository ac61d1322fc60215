"""Rasa's command line with this project's server settings applied first
(bot/server/settings.py): ``python -m bot.server run --enable-api ...``
takes the same arguments as ``rasa``."""

import sys

from bot.server import settings

if __name__ == "__main__":
    settings.configure()
    from rasa.__main__ import main

    sys.argv = ["rasa", *settings.rasa_arguments(sys.argv[1:])]
    main()
