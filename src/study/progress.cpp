#include "study/progress.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "study/progress_file.h"

namespace fb::study {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

Progress::Progress(int todo, double estimate_s, bool terminal, std::FILE* out)
    : todo_(todo), estimate_total_(estimate_s), terminal_(terminal), out_(out) {}

double Progress::elapsed_s() const {
  return earlier_elapsed_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::eta_s() const {
  const double elapsed = elapsed_s();
  const double done = earlier_estimate_done_ + estimate_done_;
  const double remaining_est = std::max(0.0, estimate_total_ - estimate_done_);
  // Scale the static estimate by how fast this machine has been so far.
  if (done > 0 && elapsed > 0) return remaining_est * (elapsed / done);
  return remaining_est;
}

void Progress::draw(const std::string& label) {
  constexpr int k_width = 28;
  const double frac = todo_ ? static_cast<double>(done_) / todo_ : 1.0;
  const int filled = static_cast<int>(frac * k_width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(k_width, '.');
  std::string line = fmt::format("[{}] {}/{} {:3.0f}%{} ETA {}  {}", bar, done_, todo_, 100 * frac,
                                 failed_ ? fmt::format(" ({} failed)", failed_) : "", format_duration(eta_s()), label);
  if (line.size() > 110) line = line.substr(0, 107) + "...";
  fmt::print(out_, "\r\033[K{}", line);
  std::fflush(out_);
}

void Progress::start(const std::string& label) {
  if (terminal_) draw(label);
}

void Progress::finish(const std::string& label, bool ok, const std::string& summary, double estimate_s,
                      double seconds) {
  ++done_;
  if (!ok) ++failed_;
  estimate_done_ += estimate_s;
  write_status();
  if (terminal_) {
    if (!ok) fmt::print(out_, "\r\033[K{}: {}\n", label, summary);  // failures stay visible above the bar
    draw("");
  } else {
    fmt::print(out_, "[{}/{}] {} {}: {} ({:.1f} s, ETA {})\n", done_, todo_, ok ? "ok" : "FAILED", label, summary,
               seconds, format_duration(eta_s()));
    std::fflush(out_);
  }
}

void Progress::write_status_to(std::string path, std::string db) {
  status_path_ = std::move(path);
  status_db_ = std::move(db);
  if (const std::optional<ProgressFile> earlier = read_progress_file(status_path_); earlier && earlier->db == status_db_) {
    earlier_elapsed_ = earlier->elapsed_s;
    earlier_estimate_done_ = earlier->estimate_done_s;
  }
  write_status();
}

void Progress::write_status() const {
  if (status_path_.empty()) return;
  ProgressFile f;
  f.db = status_db_;
  f.updated_unix = static_cast<double>(std::time(nullptr));
  f.elapsed_s = elapsed_s();
  f.estimate_done_s = earlier_estimate_done_ + estimate_done_;
  f.estimate_total_s = earlier_estimate_done_ + estimate_total_;
  f.eta_s = eta_s();
  f.done = done_;
  f.todo = todo_;
  f.failed = failed_;
  write_progress_file(status_path_, f);  // best effort: a full disk must not stop the measurements
}

void Progress::close() {
  if (terminal_) {
    fmt::print(out_, "\r\033[K");
    std::fflush(out_);
  }
}

}  // namespace fb::study
