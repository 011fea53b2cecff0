"""matplotlib figures shared by the CLI and the notebooks (Agg backend, PNG output)."""

import matplotlib

matplotlib.use("Agg")
