"""The desktop client (PySide6). Layers: `api/` (HTTP off the UI thread, results as
signals), `models/` (Qt item models), `views/` (widgets, no HTTP), `app.py` (wiring)."""
