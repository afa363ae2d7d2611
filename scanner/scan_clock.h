// The clock every scanner timing decision uses: steady (never steps), nanosecond resolution.
// The probe scheduler takes time points as arguments, so tests drive it with simulated time.
#pragma once

#include <chrono>

namespace pifind {

using ScanClock = std::chrono::steady_clock;
using ScanTime = ScanClock::time_point;
using ScanDuration = std::chrono::nanoseconds;

/// A duration in milliseconds as a double, for printing.
inline double to_ms(ScanDuration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace pifind
