"""Rhythm rules (analytics/rhythm_rules.cpp, rhythm.cpp): a day's series of one analyte in one specimen type
becomes its diurnal slope, awakening response and 24 h cosinor; under glucocorticoid replacement, a dose curve.
Days are the samples' own local days; a day's series starts at its waking window or at a waking a sample states."""

import bisect
import math
import re
import sys

from .fhir_time import parse_date_time
from .gradients import value_record
from .ucum import rescale

AWAKENING_MINUTES = 60  # the contract's car-* codes: waking to +60 min
# With a stated waking, the awakening response needs its first sample at most 5 min after it: Stalder T et al.,
# Psychoneuroendocrinology 2016;63:414-432 (expert consensus), with the figure of Smyth N et al.,
# Psychoneuroendocrinology 2013;38:1476-1483 (as rhythm_rules.cpp).
MAX_WAKING_SAMPLE_DELAY = 5 * 60
STATED_DAY_LENGTH = 24 * 3600  # a stated waking's series: at most 24 h from it
_FHIR_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(\.\d+)?\Z", re.ASCII)


class Sample:
    """One result of a series: its value in the rule's unit, its local day and clock time, and the day whose
    series it belongs to (rhythm_rules.cpp Sample)."""
    __slots__ = ("m", "value", "local_day", "local_time", "series_day", "day_waking")

    def __init__(self, m, value, local_day, local_time, series_day):
        self.m = m
        self.value = value
        self.local_day = local_day
        self.local_time = local_time  # seconds since local midnight
        self.series_day = series_day
        self.day_waking = None  # UTC seconds of the stated waking whose series it is in


def series_samples(rule, measurements):
    """The rule's samples in time order, each assigned to its day's series."""
    samples = []
    for m in measurements:
        if m.analyte != rule.analyte or m.specimen != rule.specimen or m.comparator:
            continue
        value = rescale(m.value, m.unit, rule.unit)
        if value is None or not math.isfinite(value):
            continue
        day, seconds = divmod(m.utc + m.offset * 60, 86400)
        # a sample before the waking window (a late-night 00:30) ends the previous day's series
        series_day = day - 1 if rule.waking is not None and seconds < rule.waking[0] else day
        samples.append(Sample(m, value, day, seconds, series_day))
    samples.sort(key=lambda s: (s.m.utc, s.m.id))
    if rule.waking_codes:
        assign_stated_days(rule, samples)
    return samples


def stated_waking(rule, sample):
    """(UTC seconds, local day) of the waking a sample states in a component of the rule's codes: valueDateTime
    is the instant; valueTime a clock time on the sample's clock, on its date or the day before when later than
    its clock time. A value that does not parse states nothing."""
    for codings, value_date_time, value_time in sample.m.time_components or ():
        if not any(coding in rule.waking_codes for coding in codings):
            continue
        if value_date_time:
            instant = parse_date_time(value_date_time)
            if instant is None:
                continue
            return instant[0], (instant[0] + instant[1] * 60) // 86400
        match = _FHIR_TIME.match(value_time or "")
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59 or int(match.group(3)) > 59:
            continue
        time = int(match.group(1)) * 3600 + int(match.group(2)) * 60 + int(match.group(3))
        day = sample.local_day - (1 if time > sample.local_time else 0)
        return day * 86400 + time - sample.m.offset * 60, day
    return None


def assign_stated_days(rule, samples):
    """Each sample from a stated waking up to 24 h after it, and before the next, is in that waking's series; a
    sample drawn before its day's stated waking belongs to the previous day (rhythm_rules.cpp)."""
    wakings = sorted((w for w in (stated_waking(rule, s) for s in samples) if w is not None), key=lambda w: w[0])
    wakings = [w for i, w in enumerate(wakings) if i == 0 or w[0] != wakings[i - 1][0]]
    if not wakings:
        return
    starts = [w[0] for w in wakings]
    for sample in samples:
        following = bisect.bisect_right(starts, sample.m.utc)
        if following > 0:
            waking = wakings[following - 1]
            if sample.m.utc < waking[0] + STATED_DAY_LENGTH:
                sample.series_day = waking[1]
                sample.day_waking = waking[0]
                continue
        first_of_day = next((w for w in wakings if w[1] == sample.series_day), None)
        if first_of_day is not None and sample.m.utc < first_of_day[0]:
            sample.series_day -= 1


class SeriesDay:
    """One day's series in time order, its waking sample (index) and the waking stated for it."""
    __slots__ = ("day", "samples", "waking", "stated_waking")

    def __init__(self, day):
        self.day = day
        self.samples = []
        self.waking = None
        self.stated_waking = None

    def in_series(self, sample):
        return self.stated_waking is None or sample.day_waking == self.stated_waking

    def minutes_since_waking(self, sample):
        start = self.stated_waking if self.stated_waking is not None else self.samples[self.waking].m.utc
        return (sample.m.utc - start) / 60.0

    def in_awakening_response(self, index):
        """After waking up to +60 min, other than the waking sample: not part of the decline or the 24 h cosine."""
        if self.stated_waking is None and self.waking is None:
            return False
        if self.waking is not None and index == self.waking:
            return False
        sample = self.samples[index]
        if not self.in_series(sample):
            return False
        return 0 < self.minutes_since_waking(sample) <= AWAKENING_MINUTES


def days_newest_first(rule, samples):
    days = {}
    for sample in samples:
        day = days.get(sample.series_day)
        if day is None:
            day = days[sample.series_day] = SeriesDay(sample.series_day)
        if sample.day_waking is not None:
            day.stated_waking = sample.day_waking  # in time order: the latest
        day.samples.append(sample)
    for day in days.values():
        for i, sample in enumerate(day.samples):
            if day.stated_waking is None:
                if rule.waking is not None and sample.local_day == sample.series_day and \
                        rule.waking[0] <= sample.local_time <= rule.waking[1]:
                    day.waking = i
                    break
            elif day.in_series(sample):
                # the first sample of the stated waking's series is the waking sample only when drawn promptly
                if sample.m.utc - day.stated_waking <= MAX_WAKING_SAMPLE_DELAY:
                    day.waking = i
                break
    return sorted(days.values(), key=lambda d: d.day, reverse=True)


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
    """OLS slope against hours since waking of the most recent day with a waking, the awakening response left
    out; on the raw scale of the rule's unit (rhythm_rules.cpp)."""
    if rule.waking is None:
        return []
    for day in days_newest_first(rule, samples):
        if day.waking is None and day.stated_waking is None:
            continue
        used, points = [], []
        for i, sample in enumerate(day.samples):
            if not day.in_series(sample) or day.in_awakening_response(i):
                continue
            minutes = day.minutes_since_waking(sample)
            if minutes < 0:
                continue
            used.append(sample.m)
            points.append((minutes / 60.0, sample.value))
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
    for day in days_newest_first(rule, samples):
        if day.waking is None:
            continue
        used, points = [], []
        for sample in day.samples[day.waking:]:
            if not day.in_series(sample):
                continue
            minutes = day.minutes_since_waking(sample)
            if minutes > AWAKENING_MINUTES:
                break
            if points and minutes == points[-1][0]:
                continue  # two draws at one instant: the first
            used.append(sample.m)
            points.append((minutes, sample.value))
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
    """The 24 h cosinor of the last `days` days, the awakening-response samples left out, when enough samples
    span enough of the clock (rhythm_rules.cpp)."""
    if not samples:
        return []
    first_day = max(s.series_day for s in samples) - max(rule.days, 1) + 1
    used, clock_hours = [], []
    for day in days_newest_first(rule, samples):
        if day.day < first_day:
            continue
        for i, sample in enumerate(day.samples):
            if day.in_awakening_response(i):
                continue
            used.append(sample)
            clock_hours.append(sample.local_time / 3600)
    used.sort(key=lambda s: (s.m.utc, s.m.id))
    if len(used) < rule.min_samples or len(used) < 4 or \
            clock_coverage_hours(clock_hours) < rule.min_span_hours:
        return []
    # only the clock time matters to a 24 h fit; the day offset keeps the axis increasing
    fit = cosinor_fit([((s.local_day - first_day) * 24.0 + s.local_time / 3600, s.value) for s in used])
    if fit is None:
        return []
    mesor, amplitude, acrophase, rse, p_value = fit
    inputs = [s.m for s in used]
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
        timing = next((t for t in replacement if t.measurement.id == sample.m.id and t.hours is not None), None)
        if timing is not None:
            timed.append((sample, timing))
    if not timed:
        return []
    day = timed[-1][0].series_day
    timed = [t for t in timed if t[0].series_day == day]
    if len(timed) < 4 or timed[-1][0].m.utc - timed[0][0].m.utc < 12 * 3600:
        return []
    peak = trough = None
    for sample, timing in timed:
        if timing.phase == "expected-peak" and (peak is None or sample.value > peak[0].value):
            peak = (sample, timing)
        if timing.phase == "after-peak" and (trough is None or timing.hours > trough[1].hours):
            trough = (sample, timing)
    values = []
    for found, suffix in ((peak, "-dose-peak"), (trough, "-dose-trough")):
        if found is not None:
            values.append(value_record(rule.prefix + suffix, found[0].value, rule.unit, [found[0].m],
                                       components={"hours-since-dose": found[1].hours}))
    return values
