"""Helpers for the web app's tests in a real browser: finding Chromium, serving the app."""
