"""The loss curve as a PNG (matplotlib, headless Agg backend)."""

from __future__ import annotations

from pathlib import Path


def loss_curve(losses: list[float], path: Path, eval_points: list[tuple[int, float]] | None = None,
               title: str = "training loss", steps: list[int] | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(steps or range(1, len(losses) + 1), losses, marker="." if len(losses) < 60 else None,
            label="train (per logged step)")
    if eval_points:
        xs, ys = zip(*eval_points, strict=True)
        ax.scatter(xs, ys, color="tab:red", zorder=3, label="eval (val.jsonl)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (response tokens + EOS)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
