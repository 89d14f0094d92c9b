"""User-facing errors: the CLI prints their message on one line, never a traceback."""


class BenchError(Exception):
    """A problem the user can fix (bad argument, missing file, broken data)."""


class DataError(BenchError):
    """A dataset file is missing, unreadable or inconsistent; the message names the file."""

    def __init__(self, file: str, problem: str):
        self.file = str(file)
        self.problem = problem
        super().__init__(f"{self.file}: {problem}")
