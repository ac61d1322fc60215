"""The review loop: what the assistant could not serve reaches content staff, who turn it into answers."""
