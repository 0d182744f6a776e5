"""gymnasium.vector.utils: how spaces batch. Registered as in Gymnasium 1.3 for the spaces the tests
meet: a Space with no function of its own (a custom space such as TextSpace) batches as a Tuple of
deep copies with fresh seeds, concatenates into a tuple, and has no empty array (None); shared memory
refuses it with CustomSpaceError; iterating a Tuple of such spaces iterates the items."""
from copy import deepcopy
from functools import singledispatch

from gymnasium.error import CustomSpaceError
from gymnasium.spaces import Space, Tuple


@singledispatch
def batch_space(space, n=1):
    raise TypeError(f"The space provided to `batch_space` is not a gymnasium Space instance, type: {type(space)}")


@batch_space.register(Space)
def _batch_space_custom(space, n=1):
    batched = Tuple(tuple(deepcopy(space) for _ in range(n)), seed=deepcopy(space.np_random))
    seeds = list(map(int, deepcopy(space.np_random).integers(0, 1e8, n)))
    batched.seed(seeds)
    return batched


@batch_space.register(Tuple)
def _batch_space_tuple(space, n=1):
    return Tuple(tuple(batch_space(subspace, n) for subspace in space.spaces))


@singledispatch
def concatenate(space, items, out):
    raise TypeError(f"The space provided to `concatenate` is not a gymnasium Space instance, type: {type(space)}")


@concatenate.register(Space)
def _concatenate_custom(space, items, out):
    return tuple(items)


@singledispatch
def create_empty_array(space, n=1, fn=None):
    raise TypeError(f"The space provided to `create_empty_array` is not a gymnasium Space instance, type: {type(space)}")


@create_empty_array.register(Space)
def _create_empty_array_custom(space, n=1, fn=None):
    return None


@singledispatch
def iterate(space, items):
    if isinstance(space, Space):
        raise CustomSpaceError(f"Space of type `{type(space)}` doesn't have an registered `iterate` function.")
    raise TypeError(f"The space provided to `iterate` is not a gymnasium Space instance, type: {type(space)}")


@iterate.register(Tuple)
def _iterate_tuple(space, items):
    if all(type(subspace) in iterate.registry for subspace in space):
        return zip(*[iterate(subspace, items[i]) for i, subspace in enumerate(space)])
    return iter(items)


@singledispatch
def create_shared_memory(space, n=1, ctx=None):
    if isinstance(space, Space):
        raise CustomSpaceError(f"Space of type `{type(space)}` doesn't have an registered `create_shared_memory` function.")
    raise TypeError(f"The space provided to `create_shared_memory` is not a gymnasium Space instance, type: {type(space)}")
