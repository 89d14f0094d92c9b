"""The JSON API's protocol, shared by the server (web/api.py) and the participant's client
(client.py), which must not import the server: its version, paths and the shape of an error."""
from __future__ import annotations

API_VERSION = 1
PREFIX = f"/api/v{API_VERSION}"
ERROR_FIELDS = ("error", "message")  # every error answer: {"error": CODE, "message": "one line", ...}


def submissions_path(track: str) -> str:
    return f"{PREFIX}/tracks/{track}/submissions"


def submission_path(sid: int | str) -> str:
    return f"{PREFIX}/submissions/{sid}"
