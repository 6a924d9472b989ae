"""Contract actors: the daily expiry reminders."""
