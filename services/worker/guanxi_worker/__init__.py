"""The worker fleet: Dramatiq actors on Redis, and the one scheduler process."""
