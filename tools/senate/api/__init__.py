"""The HTTP surface: `create_app` (FastAPI, server side) and `SenateClient` (agents).

Importing this package imports neither FastAPI nor httpx; each module does its own.
"""
