"""gymnasium.utils.seeding.np_random: a PCG64 generator from a SeedSequence, as Gymnasium makes it."""
import numpy as np

from gymnasium import error


def np_random(seed=None):
    if seed is not None and not (isinstance(seed, int) and seed >= 0):
        raise error.Error(f"Seed must be a non-negative python integer, actual value: {seed!r}")
    sequence = np.random.SeedSequence(seed)
    return np.random.Generator(np.random.PCG64(sequence)), sequence.entropy
