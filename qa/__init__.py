"""Offline extractive question answering over news articles."""
