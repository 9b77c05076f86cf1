"""UCUM units and their conversion: a port of analytics/ucum.cpp and analytics/unit_conversion.cpp.

The same grammar (UCUM section 2.1, https://ucum.org/ucum), atoms and prefixes, and the same floating-point
operations in the same order, so that a value converts to the same double as in the gateway. Each distinct unit
string is parsed once (a cache keyed by the string).
"""

import math
import sys


MASS, AMOUNT, LENGTH, TIME, ARBITRARY = range(5)
NO_DIMENSION = (0, 0, 0, 0, 0)


def dim(mass=0, amount=0, length=0, time=0, arbitrary=0):
    return (mass, amount, length, time, arbitrary)


def combined(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])


def scaled(d, by):
    return (d[0] * by, d[1] * by, d[2] * by, d[3] * by, d[4] * by)


# UCUM table 1, case-sensitive; "da" first so that it wins over "d".
UCUM_PREFIXES = [("da", 1e1), ("Y", 1e24), ("Z", 1e21), ("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9),
                 ("M", 1e6), ("k", 1e3), ("h", 1e2), ("d", 1e-1), ("c", 1e-2), ("m", 1e-3), ("u", 1e-6),
                 ("n", 1e-9), ("p", 1e-12), ("f", 1e-15), ("a", 1e-18), ("z", 1e-21), ("y", 1e-24)]
# Free text: the prefixes of laboratory units and the spellings of micro (mc, the micro sign, the Greek mu).
LAB_PREFIXES = [("mc", 1e-6), ("\u00b5", 1e-6), ("\u03bc", 1e-6), ("k", 1e3), ("d", 1e-1), ("c", 1e-2),
                ("m", 1e-3), ("u", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15)]
# symbol -> (factor to the coherent base g, mol, m, s, [IU]; dimension; may carry a prefix)
UCUM_ATOMS = {
    "g": (1.0, dim(mass=1), True),
    "mol": (1.0, dim(amount=1), True),
    "L": (1e-3, dim(length=3), True),
    "l": (1e-3, dim(length=3), True),
    "m": (1.0, dim(length=1), True),
    "s": (1.0, dim(time=1), True),
    "min": (60.0, dim(time=1), False),
    "h": (3600.0, dim(time=1), False),
    "d": (86400.0, dim(time=1), False),
    "wk": (604800.0, dim(time=1), False),
    "U": (1e-6 / 60, dim(amount=1, time=-1), True),
    "kat": (1.0, dim(amount=1, time=-1), True),
    "[IU]": (1.0, dim(arbitrary=1), True),
    "[iU]": (1.0, dim(arbitrary=1), True),
    "%": (1e-2, NO_DIMENSION, False),
    "10*": (10.0, NO_DIMENSION, False),
    "10^": (10.0, NO_DIMENSION, False),
}
LAB_ATOMS = {
    "IU": (1.0, dim(arbitrary=1), True),
    "iu": (1.0, dim(arbitrary=1), True),
    "[iu]": (1.0, dim(arbitrary=1), True),
}
MAX_UNIT_BYTES = 64
MAX_NESTING = 4
DIGITS = "0123456789"


class UnitError(Exception):
    pass


class UnitParser:
    """Recursive descent over UCUM's grammar; a unit is (factor, dimension)."""

    def __init__(self, text, lab_text):
        self.text = text
        self.lab_text = lab_text
        self.pos = 0
        self.depth = 0

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self):
        if not self.text or len(self.text.encode("utf-8")) > MAX_UNIT_BYTES:
            raise UnitError
        if self.peek() == "/":
            self.pos += 1
            factor, dimension = self.term()
            factor, dimension = math.pow(factor, -1), scaled(dimension, -1)
        else:
            factor, dimension = self.term()
        if self.pos != len(self.text):
            raise UnitError
        # isnormal: a factor that overflowed or underflowed means nothing
        if not (math.isfinite(factor) and factor >= sys.float_info.min):
            raise UnitError
        return factor, dimension

    def term(self):
        factor, dimension = self.component()
        while self.peek() in (".", "/") and self.pos < len(self.text):
            divide = self.peek() == "/"
            self.pos += 1
            f, d = self.component()
            if divide:
                f, d = math.pow(f, -1), scaled(d, -1)
            factor, dimension = factor * f, combined(dimension, d)
        return factor, dimension

    def component(self):
        text = self.text
        if self.peek() == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise UnitError
            self.pos += 1
            factor, dimension = self.term()
            self.depth -= 1
            if self.peek() != ")":
                raise UnitError
            self.pos += 1
            start = self.pos
            while self.pos < len(text) and (text[self.pos] in DIGITS or
                                            (text[self.pos] in "+-" and self.pos == start)):
                self.pos += 1
            if self.pos == start:
                return factor, dimension
            exponent = exponent_value(text[start:self.pos])
            return math.pow(factor, exponent), scaled(dimension, exponent)
        symbol = []
        annotated = False
        while self.pos < len(text):
            c = text[self.pos]
            if c in "./()":
                break
            if c in "{[":
                end = text.find("}" if c == "{" else "]", self.pos)
                if end < 0:
                    raise UnitError
                if c == "{":
                    annotated = True  # annotations carry no meaning (UCUM section 2.5)
                else:
                    symbol.append(text[self.pos:end + 1])
                self.pos = end + 1
                continue
            symbol.append(c)
            self.pos += 1
        symbol = "".join(symbol)
        if not symbol:
            if annotated:
                return 1.0, NO_DIMENSION
            raise UnitError
        return self.simple(symbol)

    def simple(self, symbol):
        if all(c in DIGITS for c in symbol):  # a factor such as "10.L"
            if len(symbol) > 9:
                raise UnitError
            factor = 0.0
            for c in symbol:
                factor = factor * 10 + (ord(c) - 48)
            if factor <= 0:
                raise UnitError
            return factor, NO_DIMENSION
        start = len(symbol)
        while start > 0 and symbol[start - 1] in DIGITS:
            start -= 1
        if 0 < start < len(symbol) and symbol[start - 1] in "+-":
            start -= 1
        base = symbol[:start]
        exponent = 1
        if start < len(symbol):
            if not base:
                raise UnitError
            exponent = exponent_value(symbol[start:])
        unit = self.prefixed_atom(base)
        if unit is None:
            raise UnitError
        return math.pow(unit[0], exponent), scaled(unit[1], exponent)

    def atom(self, symbol):
        found = UCUM_ATOMS.get(symbol)
        if found is None and self.lab_text:
            found = LAB_ATOMS.get(symbol)
        return found

    def prefixed_atom(self, symbol):
        whole = self.atom(symbol)
        if whole is not None:
            return whole[0], whole[1]
        for prefix, prefix_factor in (LAB_PREFIXES if self.lab_text else UCUM_PREFIXES):
            if len(symbol) <= len(prefix) or not symbol.startswith(prefix):
                continue
            rest = self.atom(symbol[len(prefix):])
            if rest is not None and rest[2]:
                return prefix_factor * rest[0], rest[1]
        return None


def exponent_value(digits):
    sign = 1
    if digits and digits[0] in "+-":
        sign = -1 if digits[0] == "-" else 1
        digits = digits[1:]
    if len(digits) != 1 or digits not in "123456789":
        raise UnitError
    return sign * (ord(digits) - 48)


_unit_cache = {}


def parse_unit(text, lab_text=False):
    """(factor, dimension) of a unit string, or None; strict UCUM, or free text as labs write it."""
    key = (text, lab_text)
    if key in _unit_cache:
        return _unit_cache[key]
    result = None
    if not lab_text:
        result = _try_parse(text, False)
    else:
        compact = text.replace(" ", "").replace("\t", "")
        result = _try_parse(compact, True)
        if result is None:
            lower = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in compact)
            if lower != compact:
                result = _try_parse(lower, True)
    _unit_cache[key] = result
    return result


def _try_parse(text, lab_text):
    try:
        return UnitParser(text, lab_text).parse()
    except (UnitError, OverflowError, ValueError, ZeroDivisionError):
        return None


def same_unit(a, b):
    return a[1] == b[1] and abs(a[0] - b[0]) <= 1e-12 * max(abs(a[0]), abs(b[0]))


_rescale_cache = {}


def rescaler(from_ucum, to_ucum):
    """(from factor, to factor) to rescale between two units of one dimension, or None."""
    key = (from_ucum, to_ucum)
    if key not in _rescale_cache:
        a = parse_unit(from_ucum)
        b = parse_unit(to_ucum)
        _rescale_cache[key] = (a[0], b[0]) if a and b and a[1] == b[1] else None
    return _rescale_cache[key]


def rescale(value, from_ucum, to_ucum):
    r = rescaler(from_ucum, to_ucum)
    return None if r is None else value * r[0] / r[1]


MOLAR = dim(mass=1, amount=-1)


def conversion(unit, target_ucum, molar_mass, per_iu):
    """How a value in `unit` reaches `target_ucum` (unit_conversion.cpp convert()): the steps, or None.

    The steps are applied in the gateway's order (value * factor, / molar mass^k, / IU^k, / target factor), so the
    result is the same double."""
    target = parse_unit(target_ucum)
    if target is None:
        return None
    difference = combined(unit[1], scaled(target[1], -1))
    per_iu_dim = combined(per_iu[1], dim(arbitrary=-1)) if per_iu else NO_DIMENSION
    iu_crossings = 1 if per_iu else 0
    for k_molar in (-1, 0, 1):
        for k_iu in range(-iu_crossings, iu_crossings + 1):
            if combined(scaled(MOLAR, k_molar), scaled(per_iu_dim, k_iu)) != difference:
                continue
            if k_molar != 0 and not (molar_mass and molar_mass > 0):
                return None
            molar_divisor = math.pow(molar_mass, k_molar) if k_molar else None
            iu_divisor = math.pow(per_iu[0], k_iu) if k_iu else None
            return (unit[0], molar_divisor, iu_divisor, target[0])
    return None


def apply_conversion(value, steps):
    converted = value * steps[0]
    if steps[1] is not None:
        converted /= steps[1]
    if steps[2] is not None:
        converted /= steps[2]
    return converted / steps[3]
