"""The JSON API, under ``app.common.paths.API_PREFIX``: its blueprints, request class, bodies,
answers and errors. The only package that speaks HTTP's error envelope."""
