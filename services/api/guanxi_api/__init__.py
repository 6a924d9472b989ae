"""The JSON API: every CRM domain, OpenAPI at /api/schema."""
