#include "fleet_test_support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "inventory/core/whole_file.h"

namespace pifind::test {

TimePoint at(long long seconds) { return *parse_utc("2026-11-01T00:00:00Z") + std::chrono::seconds{seconds}; }

MacAddress mac(const char* text) { return *MacAddress::parse(text); }

ScanSighting sighting(const std::string& mac, const std::string& ip, long long seconds) {
  ScanSighting s;
  s.mac = *MacAddress::parse(mac);
  s.ip = *Ipv4Address::parse(ip);
  s.raspberry_pi = mac.rfind("b8:27:eb", 0) == 0;
  s.vendor = s.raspberry_pi ? "Raspberry Pi Foundation" : "Other Corp";
  s.seen = at(seconds);
  return s;
}


ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_text) {
  TempDir dir;
  const auto in_path = dir / "stdin", out_path = dir / "stdout", err_path = dir / "stderr";
  write_text(in_path, stdin_text);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  ProcessResult result;
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_whole_file(out_path);
  result.err = read_whole_file(err_path);
  return result;
}

std::string fleet_cli() { return PIFIND_FLEET_CLI; }

}  // namespace pifind::test
