"""What belongs to the whole site: home, language switch, health check, error pages, formatting."""
