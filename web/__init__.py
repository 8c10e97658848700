"""Web front end and JSON API."""
