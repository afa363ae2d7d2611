// Issue 13: the agent's SNTP client against a real NTP server, Debian's chronyd, serving its own clock
// ("local stratum 1") on 127.0.0.1 without touching this machine's clock (-x); and against a responder
// that answers with a kiss-o'-death, stratum 0 or an unsynchronised leap indicator: no sample, a clear
// message. The test starts and stops chronyd itself; it dies with the test (PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "agent/drift_monitor.h"
#include "agent/sntp.h"
#include "agent_test_support.h"
#include "inventory/core/asio.h"
#include "inventory/core/error.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

std::string find_chronyd() {
  for (const char* p : {"/usr/sbin/chronyd", "/sbin/chronyd", "/usr/local/sbin/chronyd"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

// A UDP port on 127.0.0.1 nobody holds right now.
int free_udp_port() {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

class ChronyServer {
 public:
  ChronyServer() : port_(free_udp_port()) {
    const std::string chronyd = find_chronyd();
    if (chronyd.empty()) FAIL("chronyd is not installed: scripts/setup installs Debian's chrony");
    // Its own files only: no pidfile, drift file or command socket of a system chronyd is touched.
    std::ofstream(dir_.path() / "chrony.conf") << "port " << port_ << "\nbindaddress 127.0.0.1\ncmdport 0\n"
                                             << "local stratum 1\nallow 127.0.0.1\n"
                                             << "pidfile " << (dir_.path() / "chronyd.pid").string() << "\n"
                                             << "driftfile " << (dir_.path() / "chrony.drift").string() << "\n";
    const passwd* me = ::getpwuid(::getuid());
    const std::string user = me ? me->pw_name : "root";
    const std::string conf = (dir_.path() / "chrony.conf").string();
    const std::string log = (dir_.path() / "chronyd.log").string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      // -d: foreground, -x: never adjust this machine's clock, -U: no root check, -u: stay this user.
      ::execl(chronyd.c_str(), "chronyd", "-d", "-x", "-U", "-u", user.c_str(), "-f", conf.c_str(), nullptr);
      ::_exit(127);
    }
  }
  ~ChronyServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ChronyServer(const ChronyServer&) = delete;
  ChronyServer& operator=(const ChronyServer&) = delete;

  std::string port() const { return std::to_string(port_); }
  std::string log() const {
    std::ifstream in(dir_.path() / "chronyd.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  /// The first good exchange, retrying while chronyd starts (at most ~5 s).
  SntpSample first_sample(Clock& clock) const {
    std::string last;
    for (int i = 0; i < 50; ++i) {
      try {
        return query_sntp("127.0.0.1", port(), clock, std::chrono::milliseconds(100));
      } catch (const Error& e) {
        last = e.what();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // "refused" comes at once
      }
    }
    FAIL("chronyd did not answer: " << last << "\n" << log());
    return {};
  }

 private:
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

// Answers every request once with what `shape` makes of a good reply.
template <typename Shape>
void answer_once(boost::asio::ip::udp::socket& server, Clock& clock, Shape shape) {
  namespace asio = boost::asio;
  std::array<std::uint8_t, 128> buffer{};
  asio::ip::udp::endpoint from;
  boost::system::error_code ec;
  const std::size_t n = server.receive_from(asio::buffer(buffer), from, 0, ec);
  if (ec || n < 48) return;
  std::array<std::uint8_t, 48> p{};
  p[0] = (0 << 6) | (4 << 3) | 4;
  p[1] = 2;
  for (int i = 0; i < 8; ++i) p[24 + i] = buffer[40 + i];
  const std::uint64_t ts = unix_ns_to_ntp(clock.realtime_ns());
  for (int i = 0; i < 8; ++i) p[32 + i] = p[40 + i] = static_cast<std::uint8_t>(ts >> (56 - 8 * i));
  shape(p);
  server.send_to(asio::buffer(p), from, 0, ec);
}

}  // namespace

TEST_CASE("SNTP against a real chronyd serving its own clock on loopback") {
  ChronyServer chrony;
  SystemClock clock;
  const auto first = chrony.first_sample(clock);
  CHECK(first.stratum == 1);
  CHECK(first.delay_ns >= 0);
  CHECK(first.delay_ns < 200'000'000);
  // chronyd serves this machine's own clock (-x leaves it alone): the offset is the loopback's asymmetry.
  CHECK(std::abs(first.offset_ns) < 50'000'000);
  // The drift monitor takes chronyd's answers as samples, one after another.
  TempDir state;
  FakeRtcOpener opener;
  DriftMonitor monitor(clock, opener, "", "boot-1", state.path(), "ntp:127.0.0.1",
                       [&] { return query_sntp("127.0.0.1", chrony.port(), clock); });
  for (int i = 0; i < 10; ++i) {
    INFO(chrony.log());
    CHECK_FALSE(monitor.sample_ntp());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto e = monitor.estimates().at(0);
  CHECK(e.reference == "ntp:127.0.0.1");
  CHECK(e.samples == 10);
  CHECK(e.status == DriftStatus::kOk);
}

TEST_CASE("a kiss-o'-death, stratum 0 and an unsynchronised server give no sample and say why") {
  namespace asio = boost::asio;
  struct Case {
    const char* name;
    void (*shape)(std::array<std::uint8_t, 48>&);
    const char* message;
  };
  const Case cases[] = {
      {"kiss-o'-death RATE",
       [](std::array<std::uint8_t, 48>& p) {
         p[1] = 0;
         p[12] = 'R', p[13] = 'A', p[14] = 'T', p[15] = 'E';
       },
       "kiss-o'-death (RATE, stratum 0): no sample"},
      {"stratum 0, no code", [](std::array<std::uint8_t, 48>& p) { p[1] = 0; }, "kiss-o'-death (stratum 0)"},
      {"leap indicator 3", [](std::array<std::uint8_t, 48>& p) { p[0] = (3 << 6) | (4 << 3) | 4; },
       "unsynchronised (leap indicator 3): no sample"},
      {"stratum 16", [](std::array<std::uint8_t, 48>& p) { p[1] = 16; }, "unsynchronised (stratum 16)"},
  };
  SystemClock clock;
  for (const auto& c : cases) {
    INFO(c.name);
    asio::io_context io;
    asio::ip::udp::socket server(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = std::to_string(server.local_endpoint().port());
    TempDir state;
    FakeRtcOpener opener;
    DriftMonitor monitor(clock, opener, "", "boot-1", state.path(), "ntp:127.0.0.1",
                         [&] { return query_sntp("127.0.0.1", port, clock, std::chrono::milliseconds(2000)); });
    std::thread responder([&] { answer_once(server, clock, c.shape); });
    const auto problem = monitor.sample_ntp();
    responder.join();
    REQUIRE(problem);
    CHECK_THAT(*problem, Catch::Contains(c.message));
    const auto e = monitor.estimates().at(0);
    CHECK(e.samples == 0);
    CHECK(e.status == DriftStatus::kUnavailable);
    CHECK_THAT(e.message, Catch::Contains(c.message));
  }
}
