"""One sweep engine for both models: grids, chunked execution across devices, resumable stores."""

from .engine import run as run
from .results import SweepStore as SweepStore
from .spec import SweepSpec as SweepSpec, from_dict as from_dict, from_flags as from_flags, load as load
