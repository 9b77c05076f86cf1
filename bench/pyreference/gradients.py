"""Ratio rules (analytics/ratio.cpp) and derived rules (analytics/derived_rules.cpp, derived.cpp): which results
pair, which draw is chosen when several qualify, and the formulas."""

import math

from .ucum import rescale, rescaler


def value_record(code, value, unit, inputs, comparator="", components=None):
    """A computed value: (code, value, unit, input Measurements, comparator, components)."""
    return code, value, unit, inputs, comparator, components


def numerator_time_allowed(rule, m):
    if rule.clock is None and not rule.timings:
        return True
    if m.timing:
        return m.timing in rule.timings
    if rule.clock is None or m.issued:
        return False
    time_of_day = (m.utc + m.offset * 60) % 86400
    start, end = rule.clock
    if start <= end:
        return start <= time_of_day <= end
    return time_of_day >= start or time_of_day <= end


def ratio_eligible(rule, m, analyte):
    if m.analyte != analyte or (rule.specimen is not None and m.specimen != rule.specimen):
        return False
    if analyte == rule.numerator and not numerator_time_allowed(rule, m):
        return False
    return rescaler(m.unit, rule.input_unit) is not None


def upper_bound(c):
    return c in ("<", "<=")


def lower_bound(c):
    return c in (">", ">=")


def ratio_comparator(numerator, denominator):
    """The bound a ratio of censored results allows: "" for two exact values, None when it is open (ratio.cpp)."""
    if not numerator and not denominator:
        return ""
    strict = numerator in ("<", ">") or denominator in ("<", ">")
    if (upper_bound(numerator) and (not denominator or lower_bound(denominator))) or \
            (not numerator and lower_bound(denominator)):
        return "<" if strict else "<="
    if (lower_bound(numerator) and (not denominator or upper_bound(denominator))) or \
            (not numerator and upper_bound(denominator)):
        return ">" if strict else ">="
    return None


def ratio_pairs(rule, measurements, censored):
    """Disjoint pairs, closest first, then oldest first by the later draw (ratio.cpp pairs_of)."""
    numerators, denominators = [], []
    for m in measurements:
        if m.comparator and not censored:
            continue
        if ratio_eligible(rule, m, rule.numerator):
            numerators.append(m)
        if ratio_eligible(rule, m, rule.denominator) and m.value > 0:
            denominators.append(m)
    candidates = []
    for n in numerators:
        for d in denominators:
            if n is d or n.specimen != d.specimen:
                continue
            interval = abs(n.utc - d.utc)
            if interval > rule.window:
                continue
            later = max(n.utc, d.utc)
            candidates.append(((interval, -later, n.id, n.version, d.id, d.version, n.utc, d.utc,
                                n.value, d.value), n, d, later))
    candidates.sort(key=lambda c: c[0])
    used = set()
    pairs = []
    for _, n, d, later in candidates:
        if id(n) in used or id(d) in used:
            continue
        used.add(id(n))
        used.add(id(d))
        pairs.append((later, n, d))
    pairs.sort(key=lambda p: p[0])  # stable: equal times keep the closest first
    return pairs


def latest(pairs):
    """The first pair with the latest end (pairs are oldest first)."""
    best = None
    for pair in pairs:
        if best is None or pair[0] > best[0]:
            best = pair
    return best


def compute_ratio(rule, measurements):
    exact = latest(ratio_pairs(rule, measurements, False))
    bounded = None
    if any(m.comparator for m in measurements):
        bounded = latest([p for p in ratio_pairs(rule, measurements, True)
                          if (p[1].comparator or p[2].comparator) and
                          ratio_comparator(p[1].comparator, p[2].comparator) is not None])
    comparator = ""
    if bounded is not None and (exact is None or bounded[0] > exact[0]):
        chosen = bounded
        comparator = ratio_comparator(bounded[1].comparator, bounded[2].comparator)
    elif exact is not None:
        chosen = exact
    else:
        return None
    n, d = chosen[1], chosen[2]
    value = rescale(n.value, n.unit, rule.input_unit) / \
        rescale(d.value, d.unit, rule.input_unit)
    return value_record(rule.code, value, rule.unit, [n, d], comparator)


def closest(measurements, anchor, analyte, window):
    """The exact serum result of `analyte` closest in time to the anchor within the window (ties: the more recent,
    then by reference)."""
    best, best_distance = None, None
    for m in measurements:
        if m.analyte != analyte or m.specimen != "serum-plasma" or m.comparator:
            continue
        distance = abs(m.utc - anchor.utc)
        if distance > window:
            continue
        if best is None or distance < best_distance or (distance == best_distance and (
                m.utc > best.utc or (m.utc == best.utc and m.id < best.id))):
            best, best_distance = m, distance
    return best


def anchors(measurements, analyte, timing):
    found = [m for m in measurements if m.analyte == analyte and m.specimen == "serum-plasma" and not m.comparator
             and (not timing or m.timing == timing)]
    found.sort(key=lambda m: m.id)
    found.sort(key=lambda m: m.utc, reverse=True)  # stable: most recent first, ties by reference
    return found


def vermeulen_free_testosterone_pmol_l(tt, shbg, albumin_g_l):
    """Calculated free testosterone: Vermeulen A, Verdonck L, Kaufman JM, J Clin Endocrinol Metab
    1999;84:3666-3672, with its constants Kt 1.0e9 L/mol, Ka 3.6e4 L/mol, albumin 69,000 g/mol; the positive root
    of N*Kt*FT^2 + (N + Kt*(SHBG - TT))*FT - TT = 0, solved in nmol/L in the form that loses no precision
    (analytics/derived.cpp)."""
    if not (math.isfinite(tt) and tt > 0 and math.isfinite(shbg) and shbg >= 0 and math.isfinite(albumin_g_l)
            and albumin_g_l > 0):
        return None
    kt = 1.0e9 / 1e9
    n = 1 + 3.6e4 * (albumin_g_l / 69000)
    a = n * kt
    b = n + kt * (shbg - tt)
    root = math.hypot(b, 2 * math.sqrt(a) * math.sqrt(tt))
    free = (2 * tt) / (b + root) if b > 0 else (root - b) / (2 * a)
    if not math.isfinite(free) or free <= 0:
        return None
    return free * 1e3


def compute_derived(rule, measurements):
    if rule.formula == "homa-ir":
        for glucose in anchors(measurements, rule.input("glucose"), "fasting"):
            insulin = closest(measurements, glucose, rule.input("insulin"), rule.window)
            if insulin is None:
                continue
            g = rescale(glucose.value, glucose.unit, "mmol/L")
            i = rescale(insulin.value, insulin.unit, "u[IU]/mL")
            if g is None or i is None:
                continue
            # Matthews DR et al., Diabetologia 1985;28:412-419: glucose (mmol/L) x insulin (uIU/mL) / 22.5
            if not (math.isfinite(g) and g > 0 and math.isfinite(i) and i > 0):
                continue
            value = g * i / 22.5
            if not math.isfinite(value):
                continue
            return derived_record(rule, value, [glucose, insulin])
        return None
    for testosterone in anchors(measurements, rule.input("testosterone"), ""):
        shbg = closest(measurements, testosterone, rule.input("shbg"), rule.window)
        if shbg is None:
            continue
        tt = rescale(testosterone.value, testosterone.unit, "nmol/L")
        binding = rescale(shbg.value, shbg.unit, "nmol/L")
        if tt is None or binding is None:
            continue
        if rule.formula == "free-androgen-index":
            if not (math.isfinite(tt) and tt >= 0 and math.isfinite(binding) and binding > 0):
                continue
            value = 100 * tt / binding
            if not math.isfinite(value):
                continue
            return derived_record(rule, value, [testosterone, shbg])
        albumin = closest(measurements, testosterone, rule.input("albumin"), rule.window)
        albumin_g_l = rescale(albumin.value, albumin.unit, "g/L") if albumin else None
        free = vermeulen_free_testosterone_pmol_l(tt, binding,
                                                  albumin_g_l if albumin_g_l is not None else rule.default_albumin)
        if free is None:
            continue
        return derived_record(rule, free, [testosterone, shbg] + ([albumin] if albumin_g_l is not None else []))
    return None


def derived_record(rule, value, inputs):
    if rule.unit != rule.formula_unit:
        rescaled = rescale(value, rule.formula_unit, rule.unit)
        if rescaled is not None:
            value = rescaled
    return value_record(rule.code, value, rule.unit, inputs)
