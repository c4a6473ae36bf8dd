"""libphonenumber's number patterns as ranges of integers.

A number pattern of the metadata (``(?:7[0-9]|8[0-5])\\d{8}``) matches, among the national
numbers of one length, a set of digit strings; read as integers those are a union of ranges.
Turned into sorted range starts once, every pattern of a region is answered for a whole column
by one binary search (``search_sorted``) instead of one regex per pattern, and the column can
stay integers instead of strings.

The patterns use a small part of regex syntax (digits, ``\\d``, classes, groups, ``|``, ``?``,
``{n}``, ``{n,m}``); :func:`parse` reads exactly that part and raises :class:`Unsupported` for
anything else, so a future metadata release with another construct falls back to the regex
path instead of being misread. A differential test holds the ranges to the regexes.
"""

from __future__ import annotations

from functools import lru_cache

# A node of a parsed pattern: ("set", mask) matches one digit whose bit is in mask;
# ("cat", nodes), ("alt", nodes), ("rep", node, low, high).
Node = tuple[object, ...]

_ANY = (1 << 10) - 1


class Unsupported(ValueError):
    """A pattern uses syntax outside what :func:`parse` reads."""


def parse(pattern: str) -> Node:
    """The syntax tree of a metadata number pattern.

    >>> parse("7[0-2]?")
    ('cat', [('set', 128), ('rep', ('set', 7), 0, 1)])
    """
    node, end = _alternation(pattern, 0)
    if end != len(pattern):
        raise Unsupported(f"{pattern!r}: unexpected {pattern[end]!r} at {end}")
    return node


def _alternation(p: str, i: int) -> tuple[Node, int]:
    options = []
    node, i = _sequence(p, i)
    options.append(node)
    while i < len(p) and p[i] == "|":
        node, i = _sequence(p, i + 1)
        options.append(node)
    return (options[0] if len(options) == 1 else ("alt", options)), i


def _sequence(p: str, i: int) -> tuple[Node, int]:
    items = []
    while i < len(p) and p[i] not in "|)":
        atom, i = _atom(p, i)
        atom, i = _quantified(p, i, atom)
        items.append(atom)
    return ("cat", items), i


def _atom(p: str, i: int) -> tuple[Node, int]:
    c = p[i]
    if c.isdigit() and c.isascii():
        return ("set", 1 << int(c)), i + 1
    if p.startswith("\\d", i):
        return ("set", _ANY), i + 2
    if c == "[":
        return _digit_class(p, i + 1)
    if c == "(":
        i += 3 if p.startswith("(?:", i) else 1
        node, i = _alternation(p, i)
        if i >= len(p) or p[i] != ")":
            raise Unsupported(f"{p!r}: unclosed group")
        return node, i + 1
    raise Unsupported(f"{p!r}: {c!r} at {i}")


def _digit_class(p: str, i: int) -> tuple[Node, int]:
    mask = 0
    while i < len(p) and p[i] != "]":
        if p.startswith("\\d", i):
            mask, i = mask | _ANY, i + 2
        elif p[i].isdigit() and p[i].isascii():
            low = high = int(p[i])
            if p[i + 1 : i + 2] == "-" and p[i + 2 : i + 3].isdigit():
                high, i = int(p[i + 2]), i + 2
            mask |= sum(1 << d for d in range(low, high + 1))
            i += 1
        else:
            raise Unsupported(f"{p!r}: {p[i]!r} in a class at {i}")
    if i >= len(p):
        raise Unsupported(f"{p!r}: unclosed class")
    return ("set", mask), i + 1


def _quantified(p: str, i: int, atom: Node) -> tuple[Node, int]:
    if i < len(p) and p[i] == "?":
        return ("rep", atom, 0, 1), i + 1
    if i < len(p) and p[i] == "{":
        end = p.find("}", i)
        low, _, high = p[i + 1 : end].partition(",")
        if not low.isdigit() or not (high.isdigit() or (not high and "," not in p[i:end])):
            raise Unsupported(f"{p!r}: quantifier {p[i : end + 1]!r}")
        return ("rep", atom, int(low), int(high or low)), end + 1
    return atom, i


# a plain class, not a dataclass: made on every start, where a dataclass costs ~1 ms
class _Automaton:
    """A Thompson automaton over the ten digits: ``moves[s]`` are (digit mask, next state),
    ``free[s]`` the states reached without reading."""

    def __init__(self) -> None:
        self.moves: list[list[tuple[int, int]]] = []
        self.free: list[list[int]] = []

    def state(self) -> int:
        self.moves.append([])
        self.free.append([])
        return len(self.moves) - 1

    def build(self, node: Node, start: int) -> int:
        """Add ``node`` from ``start``; the state it ends in."""
        kind = node[0]
        if kind == "set":
            end = self.state()
            mask = node[1]
            assert isinstance(mask, int)
            self.moves[start].append((mask, end))
            return end
        if kind == "cat":
            items = node[1]
            assert isinstance(items, list)
            for item in items:
                start = self.build(item, start)
            return start
        if kind == "alt":
            options = node[1]
            assert isinstance(options, list)
            end = self.state()
            for option in options:
                self.free[self.build(option, start)].append(end)
            return end
        _, inner, low, high = node
        assert isinstance(inner, tuple) and isinstance(low, int) and isinstance(high, int)
        for _ in range(low):
            start = self.build(inner, start)
        end = self.state()
        self.free[start].append(end)
        for _ in range(high - low):
            start = self.build(inner, start)
            self.free[start].append(end)
        return end


class Language:
    """The digit strings one pattern matches in full, by length, as integer ranges.

    >>> Language(r"7[0-2]\\d").ranges(3)
    [(700, 730)]
    """

    def __init__(self, pattern: str) -> None:
        automaton = _Automaton()
        begin = automaton.state()
        self._accept = automaton.build(parse(pattern), begin)
        self._automaton = automaton
        self._start = self._closure({begin})
        self._steps: dict[tuple[frozenset[int], int], frozenset[int]] = {}
        self._status: dict[tuple[frozenset[int], int], int] = {}
        self._tails: dict[tuple[frozenset[int], int], tuple[tuple[int, int], ...]] = {}
        self._lengths = self._suffix_lengths()

    def _suffix_lengths(self) -> list[int]:
        """For each state, the lengths (as bits) of the digit strings that lead from it to
        the end. The automaton has no loops (no ``*`` or ``+``), so one pass in reverse
        topological order settles them."""
        moves, free = self._automaton.moves, self._automaton.free
        order: list[int] = []
        seen: set[int] = set()
        for root in range(len(moves)):
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter([*free[root], *(t for _, t in moves[root])]))]
            while stack:
                state, nexts = stack[-1]
                nxt = next(nexts, None)
                if nxt is None:
                    order.append(state)
                    stack.pop()
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, iter([*free[nxt], *(t for _, t in moves[nxt])])))
        lengths = [0] * len(moves)
        for state in order:  # every state after those it leads to
            bits = 1 if state == self._accept else 0
            for t in free[state]:
                bits |= lengths[t]
            for _, t in moves[state]:
                bits |= lengths[t] << 1
            lengths[state] = bits
        return lengths

    def _closure(self, states: set[int]) -> frozenset[int]:
        todo, seen = list(states), set(states)
        while todo:
            for nxt in self._automaton.free[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def _step(self, states: frozenset[int], digit: int) -> frozenset[int]:
        key = (states, digit)
        found = self._steps.get(key)
        if found is None:
            moves = self._automaton.moves
            bit = 1 << digit
            found = self._closure({t for s in states for mask, t in moves[s] if mask & bit})
            self._steps[key] = found
        return found

    def _kind(self, states: frozenset[int], left: int) -> int:
        """0: no string of ``left`` more digits is accepted, 1: every one is, 2: some are."""
        key = (states, left)
        found = self._status.get(key)
        if found is None:
            if not any(self._lengths[s] >> left & 1 for s in states):
                found = 0  # no string of that length leads to the end
            elif left == 0:
                found = int(self._accept in states)
            else:
                kinds = {self._kind(self._step(states, d), left - 1) for d in range(10)}
                found = kinds.pop() if len(kinds) == 1 else 2
            self._status[key] = found
        return found

    def ranges(self, length: int) -> list[tuple[int, int]]:
        """The accepted strings of ``length`` digits, as [start, end) integer ranges in order
        (adjacent ones merged)."""
        return list(self._ranges(self._start, length))

    def _ranges(self, states: frozenset[int], left: int) -> tuple[tuple[int, int], ...]:
        """:meth:`ranges` from ``states`` with ``left`` digits to go, from 0: patterns repeat
        the same tails under many prefixes, so each is worked out once."""
        key = (states, left)
        found = self._tails.get(key)
        if found is None:
            kind = self._kind(states, left)
            if kind != 2:
                found = ((0, 10**left),) if kind == 1 else ()
            else:
                merged: list[tuple[int, int]] = []
                size = 10 ** (left - 1)
                for d in range(10):
                    base = d * size
                    for start, end in self._ranges(self._step(states, d), left - 1):
                        if merged and merged[-1][1] == base + start:
                            merged[-1] = (merged[-1][0], base + end)
                        else:
                            merged.append((base + start, base + end))
                found = tuple(merged)
            self._tails[key] = found
        return found

    def longest(self) -> int:
        """The greatest length of an accepted string, or -1.

        >>> Language(r"12\\d{2,4}|9").longest()
        6
        """
        bits = 0
        for state in self._start:
            bits |= self._lengths[state]
        return bits.bit_length() - 1


@lru_cache(maxsize=4096)
def language(pattern: str) -> Language:
    """The :class:`Language` of ``pattern``, built once."""
    return Language(pattern)
