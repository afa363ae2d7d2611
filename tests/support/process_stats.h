// What /proc says about a process the tests or benchmarks started: peak and current memory, CPU time.
// Linux only, like the rest of the project.
#pragma once

#include <sys/types.h>

#include <string>

namespace pifind::test {

/// A "Name:  value kB" field of /proc/PID/status (VmRSS, VmHWM), KiB; -1 if the process or field is gone.
long status_field_kib(pid_t pid, const std::string& name);

/// User plus system CPU time the process has used so far, seconds.
double cpu_seconds_of(pid_t pid);

}  // namespace pifind::test
