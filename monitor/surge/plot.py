"""The replay's picture (matplotlib, the `plot` extra): per topic, the window's stories and
the usual count over time, with each surge marked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.errors import InputError
from monitor.surge.replay import Replay


def plot(result: Replay, out: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'monitor[plot]'") from None
    matplotlib.use("Agg")  # files only: no display needed
    from matplotlib import pyplot

    topics = sorted(result.timeline)
    fig, axes = pyplot.subplots(max(1, len(topics)), 1, figsize=(11, 3 * max(1, len(topics))), squeeze=False)
    for ax, topic in zip(axes[:, 0], topics, strict=False):
        points = result.timeline[topic]
        when = [datetime.fromtimestamp(t, tz=UTC) for t, _, _ in points]
        ax.step(when, [k for _, k, _ in points], where="post", label="stories in the window", linewidth=0.8)
        ax.plot(when, [max(e, 0.0) for _, _, e in points], label="usual", linewidth=0.8)
        for o in (o for o in result.surges if o.verdict.topic == topic):
            ax.axvline(datetime.fromtimestamp(o.verdict.now, tz=UTC), color="red", alpha=0.6, linewidth=0.8)
        ax.set_title(f"{topic}: {sum(o.verdict.topic == topic for o in result.surges)} surge(s) (red)")
        ax.legend(loc="upper left")
    fig.tight_layout()
    try:
        fig.savefig(out, dpi=100)
    except OSError as exc:
        raise InputError(f"{out}: cannot write the plot: {exc}") from None
    finally:
        pyplot.close(fig)
