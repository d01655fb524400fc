"""Cost attribution: tag activation, budget, the pinned price table, and the tag model every component shares."""
