"""The floor half of footfall: people positions in floor metres become counts, dwell, queues and heat."""
