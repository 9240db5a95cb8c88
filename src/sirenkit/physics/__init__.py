"""Physics the PDE tasks are built on and scored against: the Helmholtz equation with a PML, and the wave equation."""

from sirenkit.physics.helmholtz import (
    BUILTIN_VELOCITIES,
    FIELD_SCALE,
    SOURCE_CUTOFF,
    cylinder_velocity,
    gaussian_source,
    hankel_point_source,
    helmholtz_residual,
    mean_abs,
    mean_square,
    pml_coefficients,
    pml_stretch,
    pml_stretch_derivative,
    sample_map,
    solve_helmholtz_fd,
    velocity_model,
)
from sirenkit.physics.wave import gaussian_pulse, gaussian_pulse_exact, solve_wave_fdtd

__all__ = ["BUILTIN_VELOCITIES", "FIELD_SCALE", "SOURCE_CUTOFF", "cylinder_velocity", "gaussian_pulse", "gaussian_pulse_exact",
           "gaussian_source", "hankel_point_source", "helmholtz_residual", "mean_abs", "mean_square", "pml_coefficients", "pml_stretch",
           "pml_stretch_derivative", "sample_map", "solve_helmholtz_fd", "solve_wave_fdtd", "velocity_model"]
