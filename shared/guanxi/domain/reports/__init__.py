"""Reports: predefined reports (a registry other domains add to), the report builder, saved and shared reports,
and their exports."""
