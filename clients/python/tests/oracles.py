"""Python ports of the bundled envs' oracles (envs/<name>/oracle.js): scripted policies that solve
any task with the env's tools only. Each solver is a generator: it yields actions and receives each
step's observation; its last action is Done."""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, Generator, List, Mapping

Solver = Generator[Dict[str, Any], Any, None]


def act(name: str, **parameters: Any) -> Dict[str, Any]:
    return {"name": name, "parameters": parameters}


def done(answer: Any) -> Dict[str, Any]:
    return act("Done", answer=answer)


def max_subarray() -> Solver:
    length = yield act("GetLength")
    current = yield act("GetElement", index=0)
    best = current
    for index in range(1, length):
        element = yield act("GetElement", index=index)
        current = yield act("ExtendOrRestart", previous_sum=current, element=element)
        best = yield act("UpdateBest", best=best, candidate=current)
    yield done(best)


def valid_brackets() -> Solver:
    length = yield act("GetLength")
    balanced = True
    for index in range(length):
        char = yield act("GetChar", index=index)
        if (yield act("IsOpening", char=char)):
            yield act("Push", char=char)
        elif (yield act("StackSize")) == 0:
            balanced = False
        else:
            opening = yield act("Pop")
            if not (yield act("Matches", open=opening, close=char)):
                balanced = False
    if (yield act("StackSize")) != 0:
        balanced = False
    yield done(balanced)


def container_most_water() -> Solver:
    length = yield act("GetLength")
    left, right = 0, length - 1
    left_height = yield act("GetHeight", index=left)
    right_height = yield act("GetHeight", index=right)
    best = 0
    while left < right:
        area = yield act("ContainerArea", left_height=left_height, right_height=right_height, width=right - left)
        best = yield act("UpdateMax", best=best, candidate=area)
        if right - left == 1:
            break
        side = yield act("ChooseMove", left_height=left_height, right_height=right_height)
        if side == "left":
            left += 1
            left_height = yield act("GetHeight", index=left)
        else:
            right -= 1
            right_height = yield act("GetHeight", index=right)
    yield done(best)


def count_inversions() -> Solver:
    length = yield act("GetLength")
    total = 0
    width = 1
    while width < length:
        begin = 0
        while begin + width < length:
            mid = begin + width
            end = min(begin + 2 * width, length)
            yield act("StartMerge", start=begin, mid=mid, end=end)
            left, right = mid - begin, end - mid
            while left > 0 and right > 0:
                step = yield act("MergeStep")
                total += step["inversions"]
                if step["taken"] == "left":
                    left -= 1
                else:
                    right -= 1
            yield act("FinishMerge")
            begin += 2 * width
        width *= 2
    yield done(total)


def dijkstra_shortest_path() -> Solver:
    endpoints = yield act("GetEndpoints")
    source, target = endpoints["source"], endpoints["target"]
    best = {source: 0}
    settled = set()
    yield act("Relax", node=source, distance=0)
    queued, answer = 1, -1
    while queued > 0:
        popped = yield act("PopMin")
        node, distance = popped["node"], popped["distance"]
        queued -= 1
        settled.add(node)
        if node == target:
            answer = distance
            break
        for edge in (yield act("GetNeighbors", node=node)):
            candidate = distance + edge["weight"]
            if edge["node"] in settled or (edge["node"] in best and best[edge["node"]] <= candidate):
                continue
            if edge["node"] not in best:
                queued += 1
            best[edge["node"]] = candidate
            yield act("Relax", node=edge["node"], distance=candidate)
    yield done(answer)


def grid_shortest_path() -> Solver:
    cols = (yield act("GetGridSize"))["cols"]
    start = yield act("GetStart")
    goal = yield act("GetGoal")
    seen = {start["row"] * cols + start["col"]}
    yield act("Enqueue", row=start["row"], col=start["col"], distance=0)
    queued, answer = 1, -1
    while queued > 0:
        cell = yield act("Dequeue")
        queued -= 1
        if cell["row"] == goal["row"] and cell["col"] == goal["col"]:
            answer = cell["distance"]
            break
        for neighbor in (yield act("OpenNeighbors", row=cell["row"], col=cell["col"])):
            key = neighbor["row"] * cols + neighbor["col"]
            if key in seen:
                continue
            seen.add(key)
            yield act("Enqueue", row=neighbor["row"], col=neighbor["col"], distance=cell["distance"] + 1)
            queued += 1
    yield done(answer)


def kth_largest() -> Solver:
    length = yield act("GetLength")
    k = yield act("GetK")
    for index in range(length):
        value = yield act("GetElement", index=index)
        if index < k:
            yield act("HeapPush", value=value)
        elif value > (yield act("HeapTop")):
            yield act("HeapPop")
            yield act("HeapPush", value=value)
    yield done((yield act("HeapTop")))


def longest_palindrome_substring() -> Solver:
    length = yield act("GetLength")
    best = 0
    for centre in range(2 * length - 1):
        left = centre >> 1
        right = left + (centre & 1)
        reach = min(left, length - 1 - right)
        if right - left + 1 + 2 * reach <= best:
            continue
        if left == right:
            left -= 1
            right += 1
        while left >= 0 and right < length and (yield act("CharsMatch", left=left, right=right)):
            left -= 1
            right += 1
        if right - left - 1 > best:
            span = yield act("SpanLength", left=left + 1, right=right - 1)
            best = yield act("UpdateBest", best=best, candidate=span)
    yield done(best)


def merge_sorted_lists() -> Solver:
    length_a = yield act("GetLength", list="a")
    length_b = yield act("GetLength", list="b")
    i = j = 0
    head_a = (yield act("GetElement", list="a", index=0)) if length_a > 0 else None
    head_b = (yield act("GetElement", list="b", index=0)) if length_b > 0 else None
    while i < length_a or j < length_b:
        if i >= length_a:
            take_a = False
        elif j >= length_b:
            take_a = True
        else:
            take_a = (yield act("Compare", x=head_a, y=head_b)) <= 0
        if take_a:
            yield act("Append", value=head_a)
            i += 1
            if i < length_a:
                head_a = yield act("GetElement", list="a", index=i)
        else:
            yield act("Append", value=head_b)
            j += 1
            if j < length_b:
                head_b = yield act("GetElement", list="b", index=j)
    yield done((yield act("GetMerged")))


def next_greater_element() -> Solver:
    length = yield act("GetLength")
    result = [-1] * length
    for index in range(length - 1, -1, -1):
        value = yield act("GetElement", index=index)
        top = yield act("StackTop")
        while top is not None and top <= value:
            yield act("StackPop")
            top = yield act("StackTop")
        result[index] = -1 if top is None else top
        yield act("StackPush", value=value)
    yield done(result)


def number_of_islands() -> Solver:
    size = yield act("GetGridSize")
    rows, cols = size["rows"], size["cols"]
    land: List[List[bool]] = []
    for row in range(rows):
        land.append([])
        for col in range(cols):
            land[row].append((yield act("GetCell", row=row, col=col)) == 1)
    seen = [[False] * cols for _ in range(rows)]
    islands = 0
    for row in range(rows):
        for col in range(cols):
            if not land[row][col] or seen[row][col]:
                continue
            islands = yield act("CountIsland")
            yield act("MarkVisited", row=row, col=col)
            seen[row][col] = True
            stack = [{"row": row, "col": col}]
            while stack:
                cell = stack.pop()
                for neighbor in (yield act("UnvisitedLandNeighbors", **cell)):
                    yield act("MarkVisited", **neighbor)
                    seen[neighbor["row"]][neighbor["col"]] = True
                    stack.append(neighbor)
    yield done(islands)


def roman_to_integer() -> Solver:
    length = yield act("GetLength")
    values: Dict[int, Any] = {}

    def value_at(index: int) -> Solver:
        if index not in values:
            symbol = yield act("GetSymbol", index=index)
            values[index] = yield act("SymbolValue", symbol=symbol)
        return values[index]

    for index in range(length):
        value = yield from value_at(index)
        subtract = False
        if index + 1 < length:
            next_value = yield from value_at(index + 1)
            subtract = yield act("IsSubtractive", value=value, next_value=next_value)
        yield act("SubtractFromTotal" if subtract else "AddToTotal", amount=value)
    yield done((yield act("GetTotal")))


def run_length_encoding() -> Solver:
    length = yield act("GetLength")
    current = yield act("GetChar", index=0)
    count = 1
    for index in range(1, length):
        char = yield act("GetChar", index=index)
        if char == current:
            count += 1
        else:
            yield act("AppendRun", char=current, count=count)
            current, count = char, 1
    yield act("AppendRun", char=current, count=count)
    yield done((yield act("GetEncoded")))


def search_insert_position() -> Solver:
    length = yield act("GetLength")
    target = yield act("GetTarget")
    low, high = 0, length
    while low < high:
        mid = yield act("Midpoint", low=low, high=high)
        value = yield act("GetElement", index=mid)
        if (yield act("Compare", a=value, b=target)) < 0:
            low = mid + 1
        else:
            high = mid
    yield done(low)


def search_rotated_array() -> Solver:
    length = yield act("GetLength")
    target = yield act("GetTarget")
    low, high = 0, length - 1
    while low < high:
        mid = yield act("Midpoint", low=low, high=high)
        middle = yield act("GetElement", index=mid)
        last = yield act("GetElement", index=high)
        if (yield act("Compare", a=middle, b=last)) > 0:
            low = mid + 1
        else:
            high = mid
    pivot = low
    last = yield act("GetElement", index=length - 1)
    if (yield act("Compare", a=target, b=last)) <= 0:
        low, high = pivot, length - 1
    else:
        low, high = 0, pivot - 1
    found = -1
    while low <= high:
        mid = yield act("Midpoint", low=low, high=high)
        value = yield act("GetElement", index=mid)
        order = yield act("Compare", a=value, b=target)
        if order == 0:
            found = mid
            break
        if order < 0:
            low = mid + 1
        else:
            high = mid - 1
    yield done(found)


def trapping_rain_water() -> Solver:
    length = yield act("GetLength")
    heights: Dict[int, Any] = {}

    def height(index: int) -> Solver:
        if index not in heights:
            heights[index] = yield act("GetHeight", index=index)
        return heights[index]

    left, right, left_max, right_max = 0, length - 1, 0, 0
    while left < right:
        left_height = yield from height(left)
        right_height = yield from height(right)
        if left_height < right_height:
            left_max = yield act("MaxOf", a=left_max, b=left_height)
            water = yield act("WaterAbove", level=left_max, height=left_height)
            left += 1
        else:
            right_max = yield act("MaxOf", a=right_max, b=right_height)
            water = yield act("WaterAbove", level=right_max, height=right_height)
            right -= 1
        if water > 0:
            yield act("AddWater", amount=water)
    yield done((yield act("GetTotal")))


def two_sum_sorted() -> Solver:
    pointers = yield act("GetPointers")
    left, right = pointers["left"], pointers["right"]
    answer = "none"
    while left < right:
        total = yield act("PointerSum")
        order = yield act("CompareToTarget", sum=total)
        if order == "equal":
            answer = f"{left},{right}"
            break
        moved = yield act("AdvanceLeft" if order == "less" else "RetreatRight")
        left, right = moved["left"], moved["right"]
    yield done(answer)


#: Env id -> solver, for every bundled env with a port.
ORACLES: Dict[str, Callable[[], Solver]] = {
    "codegym/container-most-water-v1": container_most_water,
    "codegym/count-inversions-v1": count_inversions,
    "codegym/dijkstra-shortest-path-v1": dijkstra_shortest_path,
    "codegym/grid-shortest-path-v1": grid_shortest_path,
    "codegym/kth-largest-v1": kth_largest,
    "codegym/longest-palindrome-substring-v1": longest_palindrome_substring,
    "codegym/max-subarray-v1": max_subarray,
    "codegym/merge-sorted-lists-v1": merge_sorted_lists,
    "codegym/next-greater-element-v1": next_greater_element,
    "codegym/number-of-islands-v1": number_of_islands,
    "codegym/roman-to-integer-v1": roman_to_integer,
    "codegym/run-length-encoding-v1": run_length_encoding,
    "codegym/search-insert-position-v1": search_insert_position,
    "codegym/search-rotated-array-v1": search_rotated_array,
    "codegym/trapping-rain-water-v1": trapping_rain_water,
    "codegym/two-sum-sorted-v1": two_sum_sorted,
    "codegym/valid-brackets-v1": valid_brackets,
}


class OracleFailed(AssertionError):
    pass


def drive(solver: Solver, step: Callable[[Dict[str, Any]], Mapping[str, Any]]) -> Mapping[str, Any]:
    """Plays a solver through ``step(action) -> StepResult``; a rolled-back call fails, as the JS
    oracle's call() does. Returns the result of Done."""
    action = next(solver)
    while True:
        result = step(action)
        if action["name"] == "Done":
            return result
        if result["info"].get("rolledBack") or result["terminated"] or result["truncated"]:
            raise OracleFailed(f"{action} failed: {result}")
        action = solver.send(result["observation"])


def parse_observation(text: str) -> Any:
    """An observation back from its text form (observation_text): JSON values, else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class TextPolicy:
    """A solver as a text policy: reads the last observation from the chat messages, answers with the
    next action as JSON text (a model's raw output)."""

    def __init__(self, make: Callable[[], Solver], wrap_tool_call: bool = False):
        self._solver = make()
        self._started = False
        self._wrap = wrap_tool_call

    def __call__(self, messages: List[Mapping[str, Any]]) -> str:
        if not self._started:
            self._started = True
            action = next(self._solver)
        else:
            action = self._solver.send(parse_observation(messages[-1]["content"]))
        text = json.dumps(action)
        return f"Let me call a tool.\n<tool_call>\n{text}\n</tool_call>" if self._wrap else text
