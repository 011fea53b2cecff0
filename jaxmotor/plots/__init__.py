"""matplotlib figures shared by the CLI and the notebooks (Agg backend, PNG output)."""

import matplotlib

matplotlib.use("Agg")


def finish(fig, path):
    """Save ``fig`` as a PNG at ``path`` and close it (returning the path), or return the figure
    itself when ``path`` is None (notebooks)."""
    from pathlib import Path

    import matplotlib.pyplot as plt

    if path is None:
        return fig
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)
