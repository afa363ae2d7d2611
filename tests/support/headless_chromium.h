// Debian's headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on
// its fd 3, replies on fd 4, each a JSON message ended by NUL), for the dashboard's test and bench/dashboard:
// open a page, run script in it, wait for what it draws. No node, no npm, nothing on the network.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace pifind::test {

class HeadlessChromium {
 public:
  /// Starts `chromium --headless` with a fresh profile, a 1280x900 window and one blank page attached.
  /// Throws std::runtime_error (with the end of Chromium's log) if it does not answer within `timeout`.
  explicit HeadlessChromium(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;
  /// Closes the browser (Browser.close), and kills its process group if it lingers.
  ~HeadlessChromium();

  /// Runs `source` in every document the page loads from now on, before the document's own scripts.
  void add_script_on_new_document(const std::string& source);
  /// Navigates the page to `url` and waits until `ready` (a script expression) is true in the new document.
  void open(const std::string& url, const std::string& ready);
  /// Evaluates `expression` in the page, awaiting a promise it returns; the value as JSON (undefined as null).
  /// Throws std::runtime_error with the exception's text if the script throws.
  nlohmann::json evaluate(const std::string& expression);
  /// Evaluates `expression` every 50 ms until it is true (errors, such as a navigation replacing the document
  /// under it, count as false). Throws std::runtime_error with `what` after `timeout`.
  void wait_until(const std::string& expression, const std::string& what,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Dispatches a real mouse click (press and release of the left button) at the centre of the first element
  /// `selector` matches, scrolled into view first; throws if none does.
  void click(const std::string& selector);

  /// The last lines of Chromium's own stderr, for failure messages.
  std::string log_tail() const;

 private:
  void stop();
  nlohmann::json call(const std::string& method, nlohmann::json params, bool in_page = true);
  void send(const nlohmann::json& message);
  nlohmann::json receive_reply(std::int64_t id, std::chrono::steady_clock::time_point deadline);

  TempDir profile_;
  pid_t pid_ = -1;
  int to_browser_ = -1;
  int from_browser_ = -1;
  std::string pending_;  // bytes read past the last complete message
  std::int64_t next_id_ = 1;
  std::string session_;
  std::chrono::milliseconds timeout_;
};

}  // namespace pifind::test
