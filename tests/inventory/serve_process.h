// `pifind serve` (run by the test-only fleet CLI, the same code) as a real child process for the attack and
// crash tests: started on 127.0.0.1, its stderr kept in a log file, measured through /proc.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pifind::test {

class ServeProcess {
 public:
  struct Options {
    std::filesystem::path inventory;
    std::filesystem::path key_file;  ///< mode 0600, holding test_fleet_key()'s secret
    std::filesystem::path log;       ///< stderr is appended here
    std::uint16_t port = 0;          ///< 0: an ephemeral port, read back from the startup line
    std::vector<std::string> extra_args;
    rlim_t max_files = 0;            ///< RLIMIT_NOFILE (soft and hard) for the child; 0 inherits ours
    std::chrono::seconds start_timeout{10};  ///< for the startup line (a large inventory takes a while to read)
  };

  /// Starts the server and waits (up to start_timeout) for its startup line. Throws std::runtime_error on failure.
  explicit ServeProcess(Options options);
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  /// SIGKILLs the process if it still runs, and reaps it.
  ~ServeProcess();

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  /// True while the process has not exited.
  bool running();
  /// Sends `signal` and waits for the exit; returns the wait status.
  int kill_and_wait(int signal);

  /// Resident set size and its peak (VmRSS, VmHWM), KiB.
  long rss_kib() const;
  long peak_rss_kib() const;
  /// User plus system CPU time so far, seconds.
  double cpu_s() const;
  /// Open file descriptors (entries of /proc/PID/fd).
  std::size_t open_fds() const;
  /// Everything the process wrote to stderr since it started.
  std::string log() const;

 private:
  Options options_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uintmax_t log_start_ = 0;
};

/// Writes test_fleet_key()'s secret to `path` with mode 0600, for --key-file.
void write_key_file(const std::filesystem::path& path);

}  // namespace pifind::test
