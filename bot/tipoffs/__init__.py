"""Confidential tip-offs (tố giác, tin báo về tội phạm): the reports, where
they go, and what the reporter and officers may see of them."""
