"""Python ports of the bundled envs' oracles (envs/<name>/oracle.js): scripted policies that solve
any task with the env's tools only. Each solver is a generator started with the reset observation
(``start``, as the JS oracle's ``solve(start)`` gets the reset result; game-of-life reads its board size
from it): it yields actions and receives each step's observation; its last action is Done."""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, Generator, List, Mapping, Optional

Solver = Generator[Dict[str, Any], Any, None]


def act(name: str, **parameters: Any) -> Dict[str, Any]:
    return {"name": name, "parameters": parameters}


def done(answer: Any) -> Dict[str, Any]:
    return act("Done", answer=answer)


def max_subarray(start: Any) -> Solver:
    length = yield act("GetLength")
    current = yield act("GetElement", index=0)
    best = current
    for index in range(1, length):
        element = yield act("GetElement", index=index)
        current = yield act("ExtendOrRestart", previous_sum=current, element=element)
        best = yield act("UpdateBest", best=best, candidate=current)
    yield done(best)


def valid_brackets(start: Any) -> Solver:
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


def container_most_water(start: Any) -> Solver:
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


def count_inversions(start: Any) -> Solver:
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


def dijkstra_shortest_path(start: Any) -> Solver:
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


def grid_shortest_path(start: Any) -> Solver:
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


def kth_largest(start: Any) -> Solver:
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


def longest_palindrome_substring(start: Any) -> Solver:
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


def merge_sorted_lists(start: Any) -> Solver:
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


def next_greater_element(start: Any) -> Solver:
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


def number_of_islands(start: Any) -> Solver:
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


def roman_to_integer(start: Any) -> Solver:
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


def run_length_encoding(start: Any) -> Solver:
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


def search_insert_position(start: Any) -> Solver:
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


def search_rotated_array(start: Any) -> Solver:
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


def trapping_rain_water(start: Any) -> Solver:
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


def two_sum_sorted(start: Any) -> Solver:
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


def anagram_check(start: Any) -> Solver:
    first_length = yield act("GetLength", which="first")
    second_length = yield act("GetLength", which="second")
    for index in range(first_length):
        char = yield act("GetChar", which="first", index=index)
        yield act("IncrementCount", char=char)
    for index in range(second_length):
        char = yield act("GetChar", which="second", index=index)
        yield act("DecrementCount", char=char)
    unbalanced = yield act("CountNonZero")
    yield done(unbalanced == 0)


def coin_change(start: Any) -> Solver:
    amount = yield act("GetAmount")
    count = yield act("GetCoinCount")
    coins = []
    for index in range(count):
        coins.append((yield act("GetCoin", index=index)))
    for sub in range(1, amount + 1):
        best = -1
        for coin in coins:
            candidate = yield act("TryCoin", sub_amount=sub, coin=coin)
            if candidate != -1 and (best == -1 or candidate < best):
                best = candidate
        yield act("Store", sub_amount=sub, count=best)
    yield done((yield act("GetStored", sub_amount=amount)))


def connected_components(start: Any) -> Solver:
    nodes = yield act("GetNodeCount")
    edges = yield act("GetEdgeCount")
    components = nodes
    for index in range(edges):
        edge = yield act("GetEdge", index=index)
        a = yield act("Find", node=edge["u"])
        b = yield act("Find", node=edge["v"])
        if a != b:
            yield act("Union", root_a=a, root_b=b)
            components -= 1
    yield done(components)


def course_schedule(start: Any) -> Solver:
    courses = yield act("GetCourseCount")
    queued = 0
    for course in range(courses):
        if (yield act("GetUnmetCount", course=course)) == 0:
            yield act("Enqueue", course=course)
            queued += 1
    taken = 0
    while queued > 0:
        course = yield act("Dequeue")
        queued -= 1
        taken += 1
        for dependent in (yield act("GetDependents", course=course)):
            if (yield act("ReleaseOne", course=dependent)) == 0:
                yield act("Enqueue", course=dependent)
                queued += 1
    yield done(taken == courses)


def edit_distance(start: Any) -> Solver:
    lengths = yield act("GetLengths")
    first: List[Any] = []
    second: List[Any] = []
    for index in range(lengths["first"]):
        first.append((yield act("GetChar", string="first", index=index)))
    for index in range(lengths["second"]):
        second.append((yield act("GetChar", string="second", index=index)))
    for i in range(1, lengths["first"] + 1):
        for j in range(1, lengths["second"] + 1):
            yield act("KeepMatch" if first[i - 1] == second[j - 1] else "ApplyEdit", i=i, j=j)
    yield done((yield act("GetCell", i=lengths["first"], j=lengths["second"])))


def evaluate_rpn(start: Any) -> Solver:
    count = yield act("GetTokenCount")
    for index in range(count):
        token = yield act("GetToken", index=index)
        if (yield act("IsOperator", token=token)):
            right = yield act("Pop")
            left = yield act("Pop")
            value = yield act("Apply", operator=token, left=left, right=right)
            yield act("Push", value=value)
        else:
            yield act("Push", value=int(token))
    yield done((yield act("Pop")))


def first_unique_char(start: Any) -> Solver:
    length = yield act("GetLength")
    chars: List[Any] = []
    for index in range(length):
        chars.append((yield act("GetChar", index=index)))
        yield act("IncrementCount", char=chars[index])
    answer = -1
    for index in range(length):
        if (yield act("GetCount", char=chars[index])) == 1:
            answer = index
            break
    yield done(answer)


def game_of_life(start: Any) -> Solver:
    rows, cols, generations = start["rows"], start["cols"], start["generations"]
    board: List[List[Any]] = []
    for row in range(rows):
        board.append([])
        for col in range(cols):
            board[row].append((yield act("GetCell", row=row, col=col)))
    for _ in range(generations):
        following: List[List[Any]] = []
        for row in range(rows):
            following.append([])
            for col in range(cols):
                live = yield act("CountLiveNeighbours", row=row, col=col)
                alive = yield act("NextState", alive=board[row][col], live_neighbours=live)
                if alive:
                    yield act("SetNext", row=row, col=col, alive=True)
                following[row].append(alive)
        yield act("ApplyGeneration")
        board = following
    yield done(sum(1 for line in board for alive in line if alive))


def gcd_euclid(start: Any) -> Solver:
    count = yield act("GetCount")
    g = 0
    for index in range(count):
        x = yield act("GetNumber", index=index)
        pair = yield act("LoadPair", a=g, b=x)
        while pair["b"] != 0:
            pair = yield act("EuclidStep")
        g = pair["a"]
    yield done(g)


def insert_interval(start: Any) -> Solver:
    count = yield act("GetCount")
    current = yield act("GetNewInterval")
    result: List[Any] = []
    placed = False
    for index in range(count):
        interval = yield act("GetInterval", index=index)
        if placed:
            result.append(interval)
        elif (yield act("EndsBefore", first=interval, second=current)):
            result.append(interval)
        elif (yield act("EndsBefore", first=current, second=interval)):
            result += [current, interval]
            placed = True
        else:
            current = yield act("MergePair", first=current, second=interval)
    if not placed:
        result.append(current)
    yield done(result)


def josephus_circle(start: Any) -> Solver:
    step = yield act("GetStep")
    size = yield act("QueueSize")
    while size > 1:
        for _ in range((step - 1) % size):
            yield act("Rotate")
        yield act("Dequeue")
        size -= 1
    yield done((yield act("Front")))


def knapsack_01(start: Any) -> Solver:
    count = yield act("GetItemCount")
    capacity = yield act("GetCapacity")
    for k in range(1, count + 1):
        weight = (yield act("GetItem", index=k - 1))["weight"]
        for c in range(capacity + 1):
            yield act("TakeItem" if weight <= c else "SkipItem", items_used=k, capacity=c)
    yield done((yield act("GetBest", items_used=count, capacity=capacity)))


def longest_common_subsequence(start: Any) -> Solver:
    lengths = yield act("GetLengths")
    first: List[Any] = []
    second: List[Any] = []
    for index in range(lengths["first"]):
        first.append((yield act("GetChar", string="first", index=index)))
    for index in range(lengths["second"]):
        second.append((yield act("GetChar", string="second", index=index)))
    for i in range(1, lengths["first"] + 1):
        for j in range(1, lengths["second"] + 1):
            yield act("ExtendMatch" if first[i - 1] == second[j - 1] else "TakeBest", i=i, j=j)
    yield done((yield act("GetCell", i=lengths["first"], j=lengths["second"])))


def longest_unique_substring(start: Any) -> Solver:
    length = yield act("GetLength")
    window_start = 0
    best = 0
    for index in range(length):
        char = yield act("GetChar", index=index)
        last = yield act("LastSeen", char=char)
        if last >= window_start:
            window_start = last + 1
        yield act("RecordSeen", char=char, index=index)
        best = yield act("UpdateBest", best=best, candidate=index - window_start + 1)
    yield done(best)


def lowest_common_ancestor(start: Any) -> Solver:
    targets = yield act("GetTargets")
    root = yield act("GetRoot")
    parent = {root: -1}
    stack = [root]
    while stack:
        node = stack.pop()
        for tool in ("GetLeftChild", "GetRightChild"):
            child = yield act(tool, node=node)
            if child == -1:
                continue
            parent[child] = node
            stack.append(child)
    node = targets["p"]
    while node != -1:
        yield act("Mark", node=node)
        node = parent[node]
    answer = targets["q"]
    while not (yield act("IsMarked", node=answer)):
        answer = parent[answer]
    yield done(answer)


def majority_element(start: Any) -> Solver:
    length = yield act("GetLength")
    candidate, votes = None, 0
    for index in range(length):
        value = yield act("GetElement", index=index)
        if votes == 0:
            chosen = yield act("SetCandidate", value=value)
            candidate, votes = chosen["candidate"], chosen["votes"]
        elif value == candidate:
            votes = yield act("AddVote")
        else:
            votes = yield act("RemoveVote")
    yield done((yield act("GetCandidate"))["candidate"])


def meeting_rooms(start: Any) -> Solver:
    count = yield act("GetCount")
    yield act("SortByStart")
    for index in range(count):
        begin, end = yield act("GetMeeting", index=index)
        earliest_end = yield act("HeapTop")
        if earliest_end is not None and earliest_end <= begin:
            yield act("HeapPop")
        yield act("HeapPush", value=end)
    yield done((yield act("HeapSize")))


def merge_intervals(start: Any) -> Solver:
    count = yield act("GetCount")
    yield act("SortByStart")
    merged: List[Any] = []
    current = yield act("GetInterval", index=0)
    for index in range(1, count):
        following = yield act("GetInterval", index=index)
        if (yield act("Overlaps", first=current, second=following)):
            current = yield act("MergePair", first=current, second=following)
        else:
            merged.append(current)
            current = following
    merged.append(current)
    yield done(merged)


def modular_power(start: Any) -> Solver:
    base = yield act("GetBase")
    length = yield act("GetBitLength")
    result = 1
    for position in range(length - 1, -1, -1):
        bit = yield act("GetBit", position=position)
        result = yield act("SquareMod", value=result)
        if bit == 1:
            result = yield act("MultiplyMod", left=result, right=base)
    yield done(result)


def prime_count_sieve(start: Any) -> Solver:
    yield act("GetLimit")
    count = 0
    p = yield act("NextNotCrossedOut", after=1)
    while not (yield act("SquareExceedsLimit", number=p)):
        yield act("CrossOutMultiples", factor=p)
        count += 1
        p = yield act("NextNotCrossedOut", after=p)
    while p != -1:
        count += 1
        p = yield act("NextNotCrossedOut", after=p)
    yield done(count)


def robot_walk(start: Any) -> Solver:
    count = yield act("GetCommandCount")
    for index in range(count):
        command = yield act("GetCommand", index=index)
        if command in ("L", "R"):
            yield act("Turn", direction="left" if command == "L" else "right")
            continue
        for _ in range(int(command[1:])):
            if (yield act("LookAhead"))["blocked"]:
                break
            yield act("StepForward")
    yield done((yield act("GetPosition")))


def tree_max_depth(start: Any) -> Solver:
    root = yield act("GetRoot")
    yield act("Push", node=root, depth=1)
    size = 1
    deepest = 0
    while size > 0:
        popped = yield act("Pop")
        node, depth = popped["node"], popped["depth"]
        size -= 1
        left = yield act("GetLeftChild", node=node)
        right = yield act("GetRightChild", node=node)
        for child in (left, right):
            if child == -1:
                continue
            yield act("Push", node=child, depth=depth + 1)
            size += 1
        if left == -1 and right == -1:
            deepest = yield act("RecordDepth", depth=depth)
    yield done(deepest)


def validate_bst(start: Any) -> Solver:
    root = yield act("GetRoot")
    stack: List[Dict[str, Any]] = [{"node": root}]
    valid = True
    while stack:
        entry = stack.pop()
        node, lower, upper = entry["node"], entry.get("lower"), entry.get("upper")
        value = yield act("GetValue", node=node)
        bounds = {"value": value}
        if lower is not None:
            bounds["lower"] = lower
        if upper is not None:
            bounds["upper"] = upper
        if not (yield act("IsWithinBounds", **bounds)):
            valid = False
        left = yield act("GetLeftChild", node=node)
        right = yield act("GetRightChild", node=node)
        if right != -1:
            stack.append({"node": right, "lower": value, "upper": upper})
        if left != -1:
            stack.append({"node": left, "lower": lower, "upper": value})
    yield done(valid)


#: Env id -> solver, for every bundled env with a port.
ORACLES: Dict[str, Callable[[Any], Solver]] = {
    "codegym/anagram-check-v1": anagram_check,
    "codegym/coin-change-v1": coin_change,
    "codegym/connected-components-v1": connected_components,
    "codegym/container-most-water-v1": container_most_water,
    "codegym/count-inversions-v1": count_inversions,
    "codegym/course-schedule-v1": course_schedule,
    "codegym/dijkstra-shortest-path-v1": dijkstra_shortest_path,
    "codegym/edit-distance-v1": edit_distance,
    "codegym/evaluate-rpn-v1": evaluate_rpn,
    "codegym/first-unique-char-v1": first_unique_char,
    "codegym/game-of-life-v1": game_of_life,
    "codegym/gcd-euclid-v1": gcd_euclid,
    "codegym/grid-shortest-path-v1": grid_shortest_path,
    "codegym/insert-interval-v1": insert_interval,
    "codegym/josephus-circle-v1": josephus_circle,
    "codegym/knapsack-01-v1": knapsack_01,
    "codegym/kth-largest-v1": kth_largest,
    "codegym/longest-common-subsequence-v1": longest_common_subsequence,
    "codegym/longest-palindrome-substring-v1": longest_palindrome_substring,
    "codegym/longest-unique-substring-v1": longest_unique_substring,
    "codegym/lowest-common-ancestor-v1": lowest_common_ancestor,
    "codegym/majority-element-v1": majority_element,
    "codegym/max-subarray-v1": max_subarray,
    "codegym/meeting-rooms-v1": meeting_rooms,
    "codegym/merge-intervals-v1": merge_intervals,
    "codegym/merge-sorted-lists-v1": merge_sorted_lists,
    "codegym/modular-power-v1": modular_power,
    "codegym/next-greater-element-v1": next_greater_element,
    "codegym/number-of-islands-v1": number_of_islands,
    "codegym/prime-count-sieve-v1": prime_count_sieve,
    "codegym/robot-walk-v1": robot_walk,
    "codegym/roman-to-integer-v1": roman_to_integer,
    "codegym/run-length-encoding-v1": run_length_encoding,
    "codegym/search-insert-position-v1": search_insert_position,
    "codegym/search-rotated-array-v1": search_rotated_array,
    "codegym/trapping-rain-water-v1": trapping_rain_water,
    "codegym/tree-max-depth-v1": tree_max_depth,
    "codegym/two-sum-sorted-v1": two_sum_sorted,
    "codegym/valid-brackets-v1": valid_brackets,
    "codegym/validate-bst-v1": validate_bst,
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


#: What precedes the reset observation's text in an opening prompt.
PROMPT_OBSERVATION = "\n\nObservation: "


class TextPolicy:
    """A solver as a text policy: reads the last observation from the chat messages, answers with the
    next action as JSON text (a model's raw output). The solver starts with the reset observation: the
    text after the last PROMPT_OBSERVATION of the opening prompt."""

    def __init__(self, make: Callable[[Any], Solver], wrap_tool_call: bool = False):
        self._make = make
        self._solver: Optional[Solver] = None
        self._wrap = wrap_tool_call

    def __call__(self, messages: List[Mapping[str, Any]]) -> str:
        if self._solver is None:
            prompt = messages[-1]["content"]
            self._solver = self._make(parse_observation(prompt.rsplit(PROMPT_OBSERVATION, 1)[-1]))
            action = next(self._solver)
        else:
            action = self._solver.send(parse_observation(messages[-1]["content"]))
        text = json.dumps(action)
        return f"Let me call a tool.\n<tool_call>\n{text}\n</tool_call>" if self._wrap else text
