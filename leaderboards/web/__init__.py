"""The submission server: the Starlette app and its pages (`server`), the JSON API (`api`), the
streamed multipart receiver (`uploads`) and the screening of an upload at the door (`screening`).
The only modules of the leaderboard that import Starlette."""
