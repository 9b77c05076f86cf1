// Numbers as a clinician reads them in a finding's text: three significant digits, no exponent, no locale.
#pragma once

#include <string>

namespace gg::analytics {

// Three significant digits without an exponent ("12.3", "0.0877", "402", "3300"), appended to `out`: a measured
// value is not more precise than that. At most nine decimals ("0.000000001"); a negative value keeps its sign
// even when it rounds to zero ("-0"), as printf's %f does. 0, infinities and NaN are written as std::to_chars
// writes them ("0", "inf", "nan").
void append_significant_number(std::string& out, double value);

}  // namespace gg::analytics
