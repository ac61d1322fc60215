"""Development tools, not part of the deployed assistant: the Zalo simulator and the NLU evaluation."""
