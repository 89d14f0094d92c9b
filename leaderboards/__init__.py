"""Leaderboard tracks, submission validation and the results store."""
