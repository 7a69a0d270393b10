"""The plan of the fast path: the flow graph cut into strongly connected blocks and the routes between them.

Depots feed a parent system, which feeds a metabolite system and an effect site, so
the rate matrix is block triangular. A plan depends only on which flows exist, so it
is cached by the flow pattern and shared by every patient and every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ketacare.core.pk.engine.events import Piece


@dataclass(frozen=True)
class Block:
    """A strongly connected set of compartments; ``hub`` is its star centre, or -1 if it is no star."""

    nodes: tuple[int, ...]
    hub: int


@dataclass(frozen=True)
class Path:
    """A route from an input compartment to an output compartment through successive blocks.

    The route enters block ``blocks[k]`` at compartment ``entries[k]`` and leaves it
    at ``exits[k]``; the link to the next block is ``K[entries[k + 1], exits[k]]``.
    """

    blocks: tuple[int, ...]
    entries: tuple[int, ...]
    exits: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    """The blocks of a flow graph, the modes the outputs depend on, and every input-to-output route."""

    blocks: tuple[Block, ...]
    modes: tuple[tuple[int, int], ...]  # (block, local eigenvalue index), in a fixed order
    paths: tuple[tuple[int, int, tuple[Path, ...]], ...]  # (output compartment, input compartment, routes)


def dosed_compartments(pieces: Sequence[Piece]) -> tuple[int, ...]:
    """Return the compartments that receive a bolus or an input in any piece, in ascending order."""
    return tuple(sorted({c for piece in pieces for c, _ in (*piece.boluses, *piece.rates)}))


def output_compartments(output_weights: np.ndarray) -> tuple[int, ...]:
    """Return the compartments that any output of any patient reads (``output_weights`` is (P, O, n))."""
    return tuple(int(c) for c in np.flatnonzero(output_weights.any(axis=(0, 1))))


def modal_plan(rate_matrix_per_min: np.ndarray, inputs: tuple[int, ...], outputs: tuple[int, ...]) -> Plan:
    """Return the plan linking ``inputs`` to ``outputs`` through the flows of ``rate_matrix_per_min``.

    The rate matrices have shape (P, n, n); a flow counts when it is non-zero for any
    patient. The plan depends only on that pattern, so it is cached by it.
    """
    n = rate_matrix_per_min.shape[1]
    return _plan(rate_matrix_per_min.any(axis=0).tobytes(), n, inputs, outputs)


@lru_cache(maxsize=128)
def _plan(pattern_bytes: bytes, n: int, inputs: tuple[int, ...], outputs: tuple[int, ...]) -> Plan:
    """Split the flow graph into strongly connected blocks (upstream first) and list input-to-output routes."""
    pattern = np.frombuffer(pattern_bytes, dtype=bool).reshape(n, n)
    successors = [[i for i in range(n) if i != j and pattern[i, j]] for j in range(n)]
    # Tarjan's algorithm; it emits components downstream first.
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[tuple[int, ...]] = []

    def visit(node: int) -> None:
        index_of[node] = low[node] = len(index_of)
        stack.append(node)
        on_stack.add(node)
        for succ in successors[node]:
            if succ not in index_of:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index_of[succ])
        if low[node] == index_of[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(tuple(sorted(component)))

    for node in range(n):
        if node not in index_of:
            visit(node)
    components.reverse()
    blocks = tuple(Block(nodes, _star_hub(pattern, nodes)) for nodes in components)
    block_of = {node: b for b, block in enumerate(blocks) for node in block.nodes}

    def routes(block: int, entry: int, output: int) -> list[Path]:
        found = []
        if block == block_of[output]:
            found.append(Path((block,), (entry,), (output,)))
        for source in blocks[block].nodes:
            for target in successors[source]:
                if block_of[target] != block:
                    for rest in routes(block_of[target], target, output):
                        found.append(
                            Path((block, *rest.blocks), (entry, *rest.entries), (source, *rest.exits))
                        )
        return found

    paths = []
    used: set[int] = set()
    for output in outputs:
        for source in inputs:
            found = tuple(routes(block_of[source], source, output))
            paths.append((output, source, found))
            used.update(b for path in found for b in path.blocks)
    modes = tuple((b, k) for b in sorted(used) for k in range(len(blocks[b].nodes)))
    return Plan(blocks, modes, tuple(paths))


def _star_hub(pattern: np.ndarray, nodes: tuple[int, ...]) -> int:
    """Return the hub compartment if ``nodes`` form a star (mammillary block), else -1."""
    if len(nodes) == 1:
        return nodes[0]
    for hub in nodes:
        leaves = [c for c in nodes if c != hub]
        linked = all(pattern[leaf, hub] and pattern[hub, leaf] for leaf in leaves)
        isolated = not any(pattern[a, b] for a in leaves for b in leaves if a != b)
        if linked and isolated:
            return hub
    return -1


@dataclass(frozen=True)
class StarTables:
    """The plan as flat integer arrays for :func:`ketacare.core.pk.kernels.star_modes` (used blocks only)."""

    hubs: np.ndarray  # (B,)
    n_leaves: np.ndarray  # (B,)
    leaves: np.ndarray  # (B, max leaves)
    mode_offsets: np.ndarray  # (B,)
    route_output: np.ndarray  # (R,) index into the output compartments
    route_input: np.ndarray  # (R,) index into the input compartments
    route_length: np.ndarray  # (R,)
    route_blocks: np.ndarray  # (R, max length) index into the used blocks
    route_entries: np.ndarray  # (R, max length) compartments
    route_exits: np.ndarray  # (R, max length) compartments


@lru_cache(maxsize=128)
def star_tables(plan: Plan, inputs: tuple[int, ...], outputs: tuple[int, ...]) -> StarTables | None:
    """Return the compiled kernel's tables when every block the outputs depend on is a star, else None."""
    used = sorted({b for b, _ in plan.modes})
    if any(plan.blocks[b].hub < 0 for b in used):
        return None
    position = {b: k for k, b in enumerate(used)}
    leaf_lists = [[c for c in plan.blocks[b].nodes if c != plan.blocks[b].hub] for b in used]
    width = max(1, max(len(leaf_list) for leaf_list in leaf_lists))
    leaves = np.zeros((len(used), width), dtype=np.int64)
    for k, leaf_list in enumerate(leaf_lists):
        leaves[k, : len(leaf_list)] = leaf_list
    offsets = np.cumsum([0] + [len(plan.blocks[b].nodes) for b in used])[:-1]
    routes = [
        (outputs.index(output), inputs.index(source), route)
        for output, source, found in plan.paths
        for route in found
    ]
    length = max([len(route.blocks) for _, _, route in routes], default=1)

    def table(values: list[list[int]]) -> np.ndarray:
        array = np.zeros((len(values), length), dtype=np.int64)
        for k, row in enumerate(values):
            array[k, : len(row)] = row
        return array

    return StarTables(
        hubs=np.array([plan.blocks[b].hub for b in used], dtype=np.int64),
        n_leaves=np.array([len(leaf_list) for leaf_list in leaf_lists], dtype=np.int64),
        leaves=leaves,
        mode_offsets=np.asarray(offsets, dtype=np.int64),
        route_output=np.array([o for o, _, _ in routes], dtype=np.int64),
        route_input=np.array([i for _, i, _ in routes], dtype=np.int64),
        route_length=np.array([len(route.blocks) for _, _, route in routes], dtype=np.int64),
        route_blocks=table([[position[b] for b in route.blocks] for _, _, route in routes]),
        route_entries=table([list(route.entries) for _, _, route in routes]),
        route_exits=table([list(route.exits) for _, _, route in routes]),
    )
