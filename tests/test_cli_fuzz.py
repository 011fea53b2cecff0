"""Property-based bad-input test: random and malformed arguments and configs never crash the CLI.

Every run must end with exit status 0 (it worked) or 2 (one-line error on stderr) — never an
uncaught exception, a traceback, a hang or a half-written store.
"""

import os

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from jaxmotor.cli.main import main

BAD_NUMBERS = ["nan", "inf", "-inf", "-1", "0", "1e400", "abc", "", "1,2", "3/0", "1e9", "-0.5", "2.5", "7"]

# Cheap base commands (tiny Hilbert spaces) that one mutated flag then tries to break.
BASES = [
    ["pump", "point", "--L", "4", "--S", "1", "--json"],
    ["pump", "spectrum", "--L", "4", "--S", "1/2", "--json"],
    ["pump", "sweep", "--L", "4", "--S", "1", "--omega-min", "0.5", "--omega-max", "0.6", "--omega-step", "0.1",
     "--json", "--no-plot"],
]
FLAGS = ["--L", "--N", "--S", "--eta", "--omega", "--J", "--Delta", "--disorder", "--memory-budget",
         "--omega-min", "--omega-max", "--omega-step", "--bogus"]


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    captured = capsys.readouterr()
    assert code in (0, 2), (argv, code, captured.err)
    if code == 2:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "error" in lines[0], (argv, captured.err)
    assert "Traceback" not in captured.err
    return code


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from(BASES), flag=st.sampled_from(FLAGS),
       value=st.one_of(st.sampled_from(BAD_NUMBERS), st.text(max_size=8)))
@example(base=BASES[0], flag="--S", value="1e400")  # once overflowed while formatting the memory estimate
@example(base=BASES[0], flag="--omega-min", value="\r0")  # a carriage return once split the error line
@example(base=BASES[0], flag="--L", value="²")  # a digit to str.isdigit, not to int
def test_pump_commands_with_one_mutated_flag_exit_0_or_2(base, flag, value, capsys, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("fuzz"))
    argv = [*base, flag, value]
    if base[1] == "sweep":
        argv += ["--out", out]
    if flag == "--L" and 6 <= _as_int(value, default=0) <= 14:
        argv += ["--N", "1"]  # keep accidental valid sizes cheap
    _run(argv, capsys)


def _as_int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


CONFIG_VALUES = st.one_of(
    st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.booleans(),
    st.lists(st.one_of(st.floats(-2, 2), st.just(float("nan"))), max_size=3),
    st.fixed_dictionaries({"start": st.floats(-1, 3), "stop": st.floats(-1, 3), "step": st.floats(-1, 1)}),
)


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(v, "nan" if v != v else repr(v))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return str(v)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    model=st.sampled_from(["pump", "motor", "pmp", ""]),
    fixed=st.dictionaries(st.sampled_from(["L", "N", "S", "eta", "omega", "colour", "K", "V"]), CONFIG_VALUES,
                          max_size=3),
    axes=st.dictionaries(st.sampled_from(["omega", "eta", "S", "L", "Delta", "x"]), CONFIG_VALUES, max_size=2),
    garbage=st.booleans(),
)
def test_sweep_configs_never_crash_or_leave_a_partial_store(model, fixed, axes, garbage, capsys, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cfg")
    lines = [f'model = "{model}"', "[fixed]"] + [f"{k} = {_toml_value(v)}" for k, v in fixed.items()]
    lines += ["[axes]"] + [f"{k} = {_toml_value(v)}" for k, v in axes.items()]
    if fixed.get("L") is None and model == "pump":
        lines.insert(2, "L = 4")  # keep valid pump grids small
    text = "\n".join(lines) + ("\n[[[" if garbage else "\n")
    config = folder / "c.toml"
    config.write_text(text)
    store = folder / "s.zarr"
    code = _run(["sweep", str(config), "--out", str(store), "--quiet", "--memory-budget", "0.5"], capsys)
    if code == 2:
        assert not store.exists(), "a refused sweep must not leave a store behind"
    else:
        assert (store / ".jaxmotor-progress").is_dir() and os.listdir(store / ".jaxmotor-progress")


@pytest.mark.parametrize("argv", [["plot", "/nonexistent"], ["sweep"], ["sweep", "--model", "pump"],
                                  ["sweep", "--model", "pump", "--axis", "omega"], ["pump"], []])
def test_incomplete_commands_exit_2(argv, capsys):
    assert _run(argv, capsys) == 2
