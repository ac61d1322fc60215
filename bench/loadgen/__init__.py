"""Pieces of the load benchmark (bench/load.py): the citizens' messages
(corpus), the instrumented Zalo simulator (sim), starting and measuring the
stacks (stack), and the clients that play conversations (drivers)."""
