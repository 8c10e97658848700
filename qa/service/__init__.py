"""Answering questions: the pipeline (retrieve, read, cite) and the API contract around it."""
