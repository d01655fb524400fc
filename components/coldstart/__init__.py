"""Cold start of a serving slot: cited figures, model sizes, streamer sizing and the budget."""
