"""Rhythm rules (analytics/rhythm_rules.cpp, rhythm.cpp): a day's series of one analyte in one specimen type
becomes its diurnal slope, awakening response and 24 h cosinor; under glucocorticoid replacement, a dose curve."""

import math
import sys

from .gradients import value_record
from .ucum import rescale

AWAKENING_MINUTES = 60  # the contract's car-* codes: waking to +60 min


def series_samples(rule, measurements):
    """(measurement, value, local day, local seconds of day, series day), in time order (rhythm_rules.cpp)."""
    samples = []
    for m in measurements:
        if m.analyte != rule.analyte or m.specimen != rule.specimen or m.comparator:
            continue
        value = rescale(m.value, m.unit, rule.unit)
        if value is None or not math.isfinite(value):
            continue
        local = m.utc + m.offset * 60
        day, seconds = divmod(local, 86400)
        # a sample before the waking window (a late-night 00:30) ends the previous day's series
        series_day = day - 1 if rule.waking is not None and seconds < rule.waking[0] else day
        samples.append((m, value, day, seconds, series_day))
    samples.sort(key=lambda s: (s[0].utc, s[0].id))
    return samples


def days_newest_first(rule, samples):
    """[(series day, samples, index of the waking sample or None)], most recent day first."""
    days = {}
    for sample in samples:
        days.setdefault(sample[4], []).append(sample)
    out = []
    for day, day_samples in days.items():
        waking = None
        if rule.waking is not None:
            for i, s in enumerate(day_samples):
                if s[2] == s[4] and rule.waking[0] <= s[3] <= rule.waking[1]:
                    waking = i
                    break
        out.append((day, day_samples, waking))
    out.sort(key=lambda d: d[0], reverse=True)
    return out


def in_awakening_response(day_samples, waking, index):
    if waking is None or index == waking:
        return False
    minutes = (day_samples[index][0].utc - day_samples[waking][0].utc) / 60.0
    return 0 < minutes <= AWAKENING_MINUTES


def least_squares_slope(points):
    """OLS slope of value on time with centred sums (rhythm.cpp least_squares_line), or None."""
    if len(points) < 2:
        return None
    times = [p[0] for p in points]
    if min(times) == max(times):
        return None
    n = float(len(points))
    time_sum = value_sum = 0.0
    for t, v in points:
        time_sum += t
        value_sum += v
    time_mean = time_sum / n
    value_mean = value_sum / n
    time_squares = cross = 0.0
    for t, v in points:
        dt = t - time_mean
        time_squares += dt * dt
        cross += dt * (v - value_mean)
    if not time_squares > 0:
        return None
    slope = cross / time_squares
    intercept = value_mean - slope * time_mean
    if not (math.isfinite(slope) and math.isfinite(intercept)):
        return None
    return slope


def diurnal_slope(rule, samples):
    if rule.waking is None:
        return []
    for _, day_samples, waking in days_newest_first(rule, samples):
        if waking is None:
            continue
        used, points = [], []
        for i, s in enumerate(day_samples):
            if in_awakening_response(day_samples, waking, i):
                continue
            minutes = (s[0].utc - day_samples[waking][0].utc) / 60.0
            if minutes < 0:
                continue
            used.append(s[0])
            points.append((minutes / 60.0, s[1]))
        slope = least_squares_slope(points)
        if slope is None:
            continue
        return [value_record(rule.prefix + "-diurnal-slope", slope, rule.unit + "/h", used)]
    return []


def awakening_response(rule, samples):
    """Pruessner JC et al., Psychoneuroendocrinology 2003;28:916-931: AUCg (formula 2, trapezoids) and AUCi
    (formula 3, AUCg minus the waking value times the span), waking sample to +60 min."""
    if rule.waking is None:
        return []
    for _, day_samples, waking in days_newest_first(rule, samples):
        if waking is None:
            continue
        used, points = [], []
        for s in day_samples[waking:]:
            minutes = (s[0].utc - day_samples[waking][0].utc) / 60.0
            if minutes > AWAKENING_MINUTES:
                break
            if points and minutes == points[-1][0]:
                continue  # two draws at one instant: the first
            used.append(s[0])
            points.append((minutes, s[1]))
        if len(points) < 2:
            continue
        ground = 0.0
        for (t0, v0), (t1, v1) in zip(points, points[1:]):
            ground += (v0 + v1) / 2 * (t1 - t0)
        span = points[-1][0] - points[0][0]
        increase = ground - points[0][1] * span
        if not (math.isfinite(ground) and math.isfinite(increase)):
            continue
        unit = rule.area_unit()
        return [value_record(rule.prefix + "-car-aucg", ground, unit, used),
                value_record(rule.prefix + "-car-auci", increase, unit, used)]
    return []


def clock_coverage_hours(hours):
    if len(hours) < 2:
        return 0
    hours = sorted(hours)
    longest_gap = 24 - (hours[-1] - hours[0])
    for a, b in zip(hours, hours[1:]):
        longest_gap = max(longest_gap, b - a)
    return 24 - longest_gap


EPSILON = sys.float_info.epsilon


def cosinor_fit(points, period=24.0):
    """Single-component cosinor by least squares (Nelson W et al., Chronobiologia 1979;6:305-323; Cornelissen G,
    Theor Biol Med Model 2014;11:16): (mesor, amplitude, acrophase h, residual standard error, p-value of the
    zero-amplitude F test), or None (rhythm.cpp fit_cosinor)."""
    n = float(len(points))
    w = 2 * math.pi / period
    regressors = []
    x_sum = z_sum = y_sum = 0.0
    for t, y in points:
        angle = w * math.fmod(t, period)
        x, z = math.cos(angle), math.sin(angle)
        regressors.append((x, z, y))
        x_sum += x
        z_sum += z
        y_sum += y
    x_mean, z_mean, y_mean = x_sum / n, z_sum / n, y_sum / n
    sxx = szz = sxz = sxy = szy = tss = 0.0
    largest = 0.0
    for x, z, y in regressors:
        dx, dz, dy = x - x_mean, z - z_mean, y - y_mean
        sxx += dx * dx
        szz += dz * dz
        sxz += dx * dz
        sxy += dx * dy
        szy += dz * dy
        tss += dy * dy
        largest = max(largest, abs(y))
    determinant = sxx * szz - sxz * sxz
    largest_eigenvalue = (sxx + szz) / 2 + math.hypot((sxx - szz) / 2, sxz)
    if not largest_eigenvalue > 0 or not determinant / largest_eigenvalue > 1e-9 * n:
        return None  # all samples at one or two phases of the cycle
    beta = (szz * sxy - sxz * szy) / determinant
    gamma = (sxx * szy - sxz * sxy) / determinant
    mesor = y_mean - beta * x_mean - gamma * z_mean
    rss = 0.0
    for x, z, y in regressors:
        residual = y - (mesor + beta * x + gamma * z)
        rss += residual * residual
    floor = n * math.pow(64 * EPSILON * largest, 2)
    if tss <= floor:
        return y_mean, 0.0, 0.0, 0.0, 1.0
    amplitude = math.hypot(beta, gamma)
    peak = math.atan2(gamma, beta) / w
    if peak < 0:
        peak += period
    if peak >= period or peak == 0:
        peak = 0.0
    if rss <= floor:
        return mesor, amplitude, peak, 0.0, 0.0
    df = n - 3
    rse = math.sqrt(rss / df)
    f = (max(tss - rss, 0.0) / 2) / (rss / df)
    return mesor, amplitude, peak, rse, f_upper_tail(f, 2, df)


def log_gamma(x):
    """ln Gamma(x), x > 0: shifted to x >= 15, then Stirling's series through B_10 (DLMF 5.11.1), as rhythm.cpp."""
    shift = 1.0
    while x < 15:
        shift *= x
        x += 1
    inv = 1 / x
    inv2 = inv * inv
    series = inv * (1.0 / 12 + inv2 * (-1.0 / 360 + inv2 * (1.0 / 1260 + inv2 * (-1.0 / 1680 + inv2 / 1188))))
    return (x - 0.5) * math.log(x) - x + 0.5 * math.log(2 * math.pi) + series - math.log(shift)


def incomplete_beta_fraction(x, y, a, b):
    """I_x(a, b) by the continued fraction DLMF 8.17.22 with the modified Lentz method (Thompson IJ, Barnett AR,
    J Comput Phys 1986;64:490-509)."""
    tiny = 1e-300
    front = math.exp(a * math.log(x) + b * math.log(y) - (log_gamma(a) + log_gamma(b) - log_gamma(a + b))) / a
    convergent, c, d = 1.0, 1.0, 0.0
    for j in range(1, 10001):
        m = j // 2
        if j % 2 == 0:
            coefficient = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            coefficient = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + coefficient * d
        if abs(d) < tiny:
            d = tiny
        c = 1 + coefficient / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        step = c * d
        convergent *= step
        if abs(step - 1) < 4 * EPSILON:
            return front / convergent
    return math.nan


def f_upper_tail(f, d1, d2):
    """P(F > f) for Fisher's F(d1, d2) = I_{d2/(d2+d1 f)}(d2/2, d1/2) (Abramowitz & Stegun 26.6.2)."""
    if f <= 0:
        return 1.0
    if f == math.inf:
        return 0.0
    denominator = d2 + d1 * f
    x, y, a, b = d2 / denominator, d1 * f / denominator, d2 / 2, d1 / 2
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    if x < (a + 1) / (a + b + 2):
        return incomplete_beta_fraction(x, y, a, b)
    return 1 - incomplete_beta_fraction(y, x, b, a)


def cosinor(rule, samples):
    if not samples:
        return []
    first_day = max(s[4] for s in samples) - max(rule.days, 1) + 1
    used, clock_hours = [], []
    for day, day_samples, waking in days_newest_first(rule, samples):
        if day < first_day:
            continue
        for i, s in enumerate(day_samples):
            if in_awakening_response(day_samples, waking, i):
                continue
            used.append(s)
            clock_hours.append(s[3] / 3600)
    used.sort(key=lambda s: (s[0].utc, s[0].id))
    if len(used) < rule.min_samples or clock_coverage_hours(clock_hours) < rule.min_span_hours:
        return []
    if len(used) < 4:
        return []
    fit = cosinor_fit([((s[2] - first_day) * 24.0 + s[3] / 3600, s[1]) for s in used])
    if fit is None:
        return []
    mesor, amplitude, acrophase, rse, p_value = fit
    inputs = [s[0] for s in used]
    components = {rule.prefix + "-cosinor-residual-standard-error": rse, rule.prefix + "-cosinor-p-value": p_value}
    return [value_record(rule.prefix + "-cosinor-mesor", mesor, rule.unit, inputs, components=components),
            value_record(rule.prefix + "-cosinor-amplitude", amplitude, rule.unit, inputs, components=components),
            value_record(rule.prefix + "-cosinor-acrophase", acrophase, "h", inputs, components=components)]


def compute_rhythm(rule, measurements):
    samples = series_samples(rule, measurements)
    if rule.kind == "diurnal-slope":
        return diurnal_slope(rule, samples)
    if rule.kind == "awakening-response":
        return awakening_response(rule, samples)
    return cosinor(rule, samples)



def compute_dose_curve(rule, measurements, replacement):
    """<prefix>-dose-peak (the highest sample in the dose's expected peak) and <prefix>-dose-trough (the sample
    longest after its dose) of the latest day with at least 4 timed samples spanning 12 h (rhythm_rules.cpp)."""
    timed = []
    for sample in series_samples(rule, measurements):
        timing = next((t for t in replacement if t.measurement.id == sample[0].id and
                       t.hours is not None), None)
        if timing is not None:
            timed.append((sample, timing))
    if not timed:
        return []
    day = timed[-1][0][4]
    timed = [t for t in timed if t[0][4] == day]
    if len(timed) < 4 or timed[-1][0][0].utc - timed[0][0][0].utc < 12 * 3600:
        return []
    peak = trough = None
    for sample, timing in timed:
        if timing.phase == "expected-peak" and (peak is None or sample[1] > peak[0][1]):
            peak = (sample, timing)
        if timing.phase == "after-peak" and (trough is None or timing.hours > trough[1].hours):
            trough = (sample, timing)
    values = []
    for found, suffix in ((peak, "-dose-peak"), (trough, "-dose-trough")):
        if found is not None:
            values.append(value_record(rule.prefix + suffix, found[0][1], rule.unit, [found[0][0]],
                                       components={"hours-since-dose": found[1].hours}))
    return values
