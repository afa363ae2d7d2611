#include "tests/support/headless_chromium.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace pifind::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Moves `fd` to `target` in the child; the pipes are O_CLOEXEC, dup2's copy is not.
void place(int fd, int target) {
  if (fd == target) {
    ::fcntl(fd, F_SETFD, 0);
    return;
  }
  if (::dup2(fd, target) < 0) ::_exit(126);
}

}  // namespace

HeadlessChromium::HeadlessChromium(std::chrono::milliseconds timeout) : timeout_(timeout) {
  int to_browser[2], from_browser[2];
  if (::pipe2(to_browser, O_CLOEXEC) != 0 || ::pipe2(from_browser, O_CLOEXEC) != 0)
    throw std::runtime_error("headless chromium: pipe failed");
  const std::string log = (profile_ / "chromium.log").string();
  std::vector<std::string> argv = {"chromium",
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--window-size=1280,900",
                                   "--user-data-dir=" + (profile_ / "profile").string(),
                                   "--remote-debugging-pipe",
                                   "about:blank"};
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("headless chromium: fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);  // the browser's helpers join its group, so one kill ends them all
    // fds 3 and 4 may be the pipes themselves: move both ends out of the way first.
    const int in = ::fcntl(to_browser[0], F_DUPFD_CLOEXEC, 10), out = ::fcntl(from_browser[1], F_DUPFD_CLOEXEC, 10);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0 || out < 0 || log_fd < 0 || null_fd < 0) ::_exit(126);
    place(null_fd, 0);
    place(log_fd, 1);
    place(log_fd, 2);
    place(in, 3);
    place(out, 4);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(to_browser[0]);
  ::close(from_browser[1]);
  to_browser_ = to_browser[1];
  from_browser_ = from_browser[0];
  ::signal(SIGPIPE, SIG_IGN);  // a browser that died is reported by the next read, not by killing the test
  try {
    const auto target = call("Target.createTarget", {{"url", "about:blank"}}, false);
    const auto attached =
        call("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}}, false);
    session_ = attached.at("sessionId").get<std::string>();
    call("Page.enable", nlohmann::json::object());  // scripts added for new documents run only once it is
  } catch (...) {
    stop();
    throw;
  }
}

HeadlessChromium::~HeadlessChromium() { stop(); }

void HeadlessChromium::stop() {
  if (pid_ <= 0) return;
  try {
    send({{"id", next_id_++}, {"method", "Browser.close"}});
  } catch (...) {
  }
  ::close(to_browser_);
  ::close(from_browser_);
  int status = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (::waitpid(pid_, &status, WNOHANG) == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(-pid_, SIGKILL);  // whatever of the group is left (renderers, zygotes)
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void HeadlessChromium::send(const nlohmann::json& message) {
  std::string text = message.dump();
  text.push_back('\0');
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(to_browser_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("headless chromium: the browser closed its pipe; its log ends:\n" + log_tail());
    done += static_cast<std::size_t>(n);
  }
}

nlohmann::json HeadlessChromium::receive_reply(std::int64_t id, Clock::time_point deadline) {
  for (;;) {
    // Every complete message in the buffer: events (no "id") and stale replies are skipped.
    for (auto end = pending_.find('\0'); end != std::string::npos; end = pending_.find('\0')) {
      auto message = nlohmann::json::parse(pending_.substr(0, end));
      pending_.erase(0, end + 1);
      if (message.contains("id") && message.at("id") == id) return message;
    }
    pollfd p{from_browser_, POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) throw std::runtime_error("headless chromium: no reply in time; its log ends:\n" + log_tail());
    char buffer[65536];
    const ssize_t n = ::read(from_browser_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("headless chromium: the browser went away; its log ends:\n" + log_tail());
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
}

nlohmann::json HeadlessChromium::call(const std::string& method, nlohmann::json params, bool in_page) {
  const std::int64_t id = next_id_++;
  nlohmann::json message = {{"id", id}, {"method", method}, {"params", std::move(params)}};
  if (in_page) message["sessionId"] = session_;
  send(message);
  const auto reply = receive_reply(id, Clock::now() + timeout_);
  if (reply.contains("error")) throw std::runtime_error("headless chromium: " + method + ": " + reply.at("error").dump());
  return reply.value("result", nlohmann::json::object());
}

nlohmann::json HeadlessChromium::evaluate(const std::string& expression) {
  const auto result =
      call("Runtime.evaluate", {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}});
  if (result.contains("exceptionDetails")) {
    const auto& details = result.at("exceptionDetails");
    const auto exception = details.value("exception", nlohmann::json::object());
    throw std::runtime_error("script failed: " + exception.value("description", details.value("text", std::string("?"))));
  }
  return result.at("result").value("value", nlohmann::json());
}

void HeadlessChromium::wait_until(const std::string& expression, const std::string& what,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string last_error;
  for (;;) {
    try {
      if (evaluate(expression) == true) return;
    } catch (const std::runtime_error& e) {
      last_error = e.what();
    }
    if (Clock::now() >= deadline)
      throw std::runtime_error("headless chromium: " + what + " did not happen in time" +
                               (last_error.empty() ? "" : " (last error: " + last_error + ")"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void HeadlessChromium::add_script_on_new_document(const std::string& source) {
  call("Page.addScriptToEvaluateOnNewDocument", {{"source", source}});
}

void HeadlessChromium::open(const std::string& url, const std::string& ready) {
  const auto result = call("Page.navigate", {{"url", url}});
  if (result.contains("errorText")) throw std::runtime_error("headless chromium: " + url + ": " + result.at("errorText").dump());
  const auto quoted = nlohmann::json(url).dump();
  wait_until("location.href === " + quoted + " && document.readyState === 'complete' && !!(" + ready + ")",
             url + " loading", timeout_);
}

void HeadlessChromium::click(const std::string& selector) {
  const auto centre = evaluate("(() => { const e = document.querySelector(" + nlohmann::json(selector).dump() +
                               "); if (!e) return null; e.scrollIntoView({block: 'center'});"
                               " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()");
  if (centre.is_null()) throw std::runtime_error("headless chromium: nothing matches " + selector);
  for (const char* type : {"mousePressed", "mouseReleased"})
    call("Input.dispatchMouseEvent", {{"type", type},
                                      {"x", centre[0]},
                                      {"y", centre[1]},
                                      {"button", "left"},
                                      {"buttons", std::string(type) == "mousePressed" ? 1 : 0},
                                      {"clickCount", 1}});
}

std::string HeadlessChromium::log_tail() const {
  std::ifstream in(profile_ / "chromium.log");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace pifind::test
