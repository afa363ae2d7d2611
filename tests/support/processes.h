// Running one piece of test code in several processes at once (what two scans, or two timers firing together,
// do to shared files), and how each ended.
#pragma once

#include <functional>
#include <vector>

namespace pifind::test {

/// Forks `count` children, each running `body(i)` (i from 0), which exit 0 when it returns and 1 when it throws;
/// waits for them all. Returns each child's exit status, or -1 for one that did not exit (killed by a signal);
/// throws std::runtime_error if it cannot fork or wait.
std::vector<int> run_in_processes(int count, const std::function<void(int)>& body);

}  // namespace pifind::test
