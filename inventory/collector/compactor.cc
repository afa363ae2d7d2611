#include "inventory/collector/compactor.h"

#include <unistd.h>

#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_json.h"

namespace pifind {

Compactor::Compactor(std::filesystem::path file, std::function<void()> finished)
    : file_(std::move(file)), finished_(std::move(finished)) {}

Compactor::~Compactor() {
  if (const auto result = wait(); result && !result->temporary.empty()) ::unlink(result->temporary.c_str());
}

void Compactor::start(Job job) {
  const std::lock_guard lock(mutex_);
  if (thread_.joinable()) thread_.join();  // finished: its result was taken
  running_ = true;
  thread_ = std::thread([this, job = std::move(job)] {
    Result result;
    result.generation = job.generation;
    try {
      const DocumentPieces document(job.updated, job.generation, job.snapshot->lines(), *job.snapshot->sections);
      result.temporary = write_temporary_beside(file_, document.all(), job.mode);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    {
      const std::lock_guard done(mutex_);
      result_ = std::move(result);
      running_ = false;
    }
    finished_();
  });
}

bool Compactor::idle() const {
  const std::lock_guard lock(mutex_);
  return !running_ && !result_;
}

std::optional<Compactor::Result> Compactor::take_result() {
  const std::lock_guard lock(mutex_);
  return std::exchange(result_, std::nullopt);
}

std::optional<Compactor::Result> Compactor::wait() {
  std::thread finishing;
  {
    const std::lock_guard lock(mutex_);
    finishing = std::move(thread_);
  }
  if (finishing.joinable()) finishing.join();
  return take_result();
}

}  // namespace pifind
