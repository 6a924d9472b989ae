"""Local development and test tooling: private PostgreSQL, Redis, SMTP catcher and a process supervisor."""
