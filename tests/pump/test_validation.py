"""Bad input to the pump is rejected at the boundary with a ValueError naming the parameter."""

import numpy as np
import pytest

from jaxmotor.pump import PumpParams, make_basis
from jaxmotor.pump._basis import spin_value


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"L": 7}, "L"),
        ({"L": 2}, "L"),
        ({"L": 8.5}, "L"),
        ({"L": 6, "N": 0}, "N"),
        ({"L": 6, "N": 6}, "N"),
        ({"S": 0}, "S"),
        ({"S": -1}, "S"),
        ({"S": 2.3}, "S"),
        ({"S": "abc"}, "S"),
        ({"L": 24}, "L"),  # Hilbert space too large for memory: refused before allocating
    ],
)
def test_bad_sizes_raise_value_error_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        make_basis(**kwargs)


@pytest.mark.parametrize("name", ["omega", "eta", "J", "Delta", "flux"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_parameters_raise(name, bad):
    with pytest.raises(ValueError, match=rf"^{name}=.*finite"):
        PumpParams(**{name: bad})


def test_non_finite_entry_in_a_batch_is_caught():
    with pytest.raises(ValueError, match="^omega="):
        PumpParams(omega=np.array([0.1, np.nan, 0.3]))


def test_disorder_with_wrong_number_of_sites_is_rejected():
    from jaxmotor.pump import solve

    with pytest.raises(ValueError, match="^disorder="):
        solve(PumpParams(disorder=np.zeros(5)), make_basis(4, 2, 1))


def test_half_integer_spins_are_parsed_exactly():
    assert spin_value("5/2") == spin_value(2.5) == spin_value("2.5")
    assert float(spin_value(10)) == 10.0
