#include "serve_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "collector_fixture.h"
#include "inventory/core/whole_file.h"
#include "tests/support/process_stats.h"

namespace pifind::test {
namespace {

// The child's environment. A child held to a file-descriptor limit runs out of descriptors on purpose, and
// UBSan's vptr check then reports every object as having an invalid vptr: it probes the vtable by writing
// it into a pipe(), which fails with EMFILE (tests/inventory/ubsan_out_of_fds.supp). That child gets the
// suppression; ASan and every other UBSan check stay on.
std::vector<std::string> child_environment(bool starved_of_descriptors) {
  const std::string prefix = "UBSAN_OPTIONS=";
  std::vector<std::string> environment;
  std::string ubsan_options;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable = *entry;
    if (variable.rfind(prefix, 0) == 0)
      ubsan_options = variable.substr(prefix.size());
    else
      environment.push_back(variable);
  }
  if (starved_of_descriptors) {
    if (!ubsan_options.empty()) ubsan_options += ":";
    ubsan_options += "suppressions=" PIFIND_UBSAN_OUT_OF_FDS_SUPPRESSIONS;
  }
  if (!ubsan_options.empty()) environment.push_back(prefix + ubsan_options);
  return environment;
}

// execve()'s view of `strings`: their characters, then a null pointer.
std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

void write_key_file(const std::filesystem::path& path) {
  write_text(path, test_fleet_key().secret() + "\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

ServeProcess::ServeProcess(Options options) : options_(std::move(options)) {
  std::error_code ec;
  log_start_ = std::filesystem::exists(options_.log) ? std::filesystem::file_size(options_.log, ec) : 0;
  std::vector<std::string> argv = {fleet_cli(),
                                   "serve",
                                   "--inventory",
                                   options_.inventory.string(),
                                   "--key-file",
                                   options_.key_file.string(),
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(options_.port)};
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<std::string> environment = child_environment(options_.max_files > 0);
  const std::vector<char*> args = null_terminated(argv);
  const std::vector<char*> envp = null_terminated(environment);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // The server dies with the test, also when the test itself is killed or aborts.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(124);
    const int err = ::open(options_.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int null = ::open("/dev/null", O_RDWR);
    if (err < 0 || null < 0) ::_exit(126);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err, 2);
    // The test's own sockets must not leak into the server.
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    if (options_.max_files > 0) {
      const rlimit limit{options_.max_files, options_.max_files};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(125);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  const std::string marker = "pifind serve: http://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = log();
    // The whole line: stderr may have been read between the marker and the port's digits.
    if (const auto at = text.find(marker); at != std::string::npos && text.find('\n', at) != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::stoul(text.substr(at + marker.size())));
      return;
    }
    if (!running()) throw std::runtime_error("pifind serve exited at start: " + text);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("pifind serve did not start within " + std::to_string(options_.start_timeout.count()) +
                           " s: " + log());
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) kill_and_wait(SIGKILL);
}

bool ServeProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int ServeProcess::kill_and_wait(int signal) {
  int status = 0;
  if (pid_ <= 0) return status;
  ::kill(pid_, signal);
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

long ServeProcess::rss_kib() const { return status_field_kib(pid_, "VmRSS"); }
long ServeProcess::peak_rss_kib() const { return status_field_kib(pid_, "VmHWM"); }

double ServeProcess::cpu_s() const { return cpu_seconds_of(pid_); }

std::size_t ServeProcess::open_fds() const {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

std::string ServeProcess::log() const {
  std::error_code ec;
  if (!std::filesystem::exists(options_.log, ec)) return "";
  const std::string text = read_whole_file(options_.log);
  return text.size() > log_start_ ? text.substr(log_start_) : "";
}

}  // namespace pifind::test
