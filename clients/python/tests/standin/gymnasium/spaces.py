"""gymnasium.spaces: Space and Tuple, with Gymnasium's seeding and equality rules."""
import numpy as np

from gymnasium.utils import seeding


class Space:
    def __init__(self, shape=None, dtype=None, seed=None):
        self._shape = None if shape is None else tuple(shape)
        self.dtype = dtype
        self._np_random = None
        if isinstance(seed, np.random.Generator):
            self._np_random = seed
        elif seed is not None:
            self.seed(seed)

    @property
    def np_random(self):
        if self._np_random is None:
            self.seed()
        return self._np_random

    @property
    def shape(self):
        return self._shape

    def seed(self, seed=None):
        self._np_random, np_random_seed = seeding.np_random(seed)
        return np_random_seed

    def sample(self, mask=None, probability=None):
        raise NotImplementedError

    def contains(self, x):
        raise NotImplementedError

    def __contains__(self, x):
        return self.contains(x)
    # No __eq__: two Space objects are equal only when they are the same object, as in Gymnasium.


class Tuple(Space):
    def __init__(self, spaces, seed=None):
        self.spaces = tuple(spaces)
        for space in self.spaces:
            assert isinstance(space, Space), f"{space} is not a gymnasium Space"
        super().__init__(None, None, seed)

    def seed(self, seed=None):
        if isinstance(seed, (list, tuple)):
            assert len(seed) == len(self.spaces)
            return tuple(space.seed(each) for space, each in zip(self.spaces, seed))
        return super().seed(seed)

    def sample(self, mask=None, probability=None):
        return tuple(space.sample() for space in self.spaces)

    def contains(self, x):
        if isinstance(x, list):
            x = tuple(x)
        return isinstance(x, tuple) and len(x) == len(self.spaces) and all(s.contains(p) for s, p in zip(self.spaces, x))

    def __getitem__(self, index):
        return self.spaces[index]

    def __len__(self):
        return len(self.spaces)

    def __iter__(self):
        return iter(self.spaces)

    def __eq__(self, other):
        return isinstance(other, Tuple) and self.spaces == other.spaces
