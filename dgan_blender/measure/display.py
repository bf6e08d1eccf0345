"""One rich progress display for the whole chain: a row per stage."""

from __future__ import annotations

import sys

from .stages import STAGES, Stage


class _StageProgress:
    def __init__(self, bar, task):
        self.bar, self.task = bar, task

    def start(self, total: int, done: int = 0) -> None:  # dataset.run's protocol
        self.bar.update(self.task, total=total, completed=done)

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)

    def update(self, completed=None, total=None, info: str = "") -> None:
        kw = {k: v for k, v in (("completed", completed), ("total", total)) if v is not None}
        self.bar.update(self.task, info=info, **kw)


class StageDisplay:
    """Context manager; ``stage(s)`` gives the progress object an adapter reports to."""

    def __init__(self, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description:<30}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                            console=console or Console(file=sys.stderr))
        self.tasks = {}

    def __enter__(self):
        self.bar.start()
        for s in STAGES:
            self.tasks[s.name] = self.bar.add_task(f"{s.index}. {s.title}", total=None, info="waiting", start=False)
        return self

    def __exit__(self, *exc):
        self.bar.stop()

    def stage(self, s: Stage) -> _StageProgress:
        self.bar.start_task(self.tasks[s.name])
        self.bar.update(self.tasks[s.name], info="")
        return _StageProgress(self.bar, self.tasks[s.name])

    def kept(self, s: Stage) -> None:
        self.bar.update(self.tasks[s.name], total=1, completed=1, info="done earlier, kept")

    def finished(self, s: Stage, marker: dict) -> None:
        t = self.bar.tasks[self.tasks[s.name]]
        total = t.total or 1
        self.bar.update(self.tasks[s.name], total=total, completed=total, info=f"done in {marker['seconds']:.0f} s")
        self.bar.stop_task(self.tasks[s.name])
