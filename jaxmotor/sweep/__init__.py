"""One sweep engine for both models: grids, chunked execution across devices, resumable stores."""

from ._engine import run as run
from ._spec import SweepSpec as SweepSpec, from_dict as from_dict, from_flags as from_flags, load as load
from ._store import SweepStore as SweepStore
