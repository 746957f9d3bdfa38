#pragma once
// Study progress on stderr: a redrawn bar with ETA on a terminal, one plain line per point otherwise.
#include <chrono>
#include <cstdio>
#include <string>

namespace fb::study {

class Progress {
 public:
  // `estimate_s`: the summed estimates of the points to run, to weight the ETA before any finished.
  Progress(int todo, double estimate_s, bool terminal, std::FILE* out = stderr);
  void start(const std::string& label);
  // `estimate_s`: this point's estimate; `summary`: "median 3.2 ms" or "FAILED (timeout): ...".
  void finish(const std::string& label, bool ok, const std::string& summary, double estimate_s, double seconds);
  void close();

  // Also keep `path` up to date (JSON, replaced whole after every finish): how far this run is and how fast it
  // has gone against the plan's estimate, for `study status` of a cluster task (progress_file.h reads it).
  // A file an earlier run of the same database `db` left (a resumed shard) is carried on: its time and work
  // count in the speed, from which the ETA is taken before this run has finished anything.
  void write_status_to(std::string path, std::string db);

 private:
  double elapsed_s() const;  // measuring time, earlier runs' included
  double eta_s() const;
  void draw(const std::string& label);
  void write_status() const;

  int todo_, done_ = 0, failed_ = 0;
  double estimate_total_, estimate_done_ = 0;
  double earlier_elapsed_ = 0, earlier_estimate_done_ = 0;  // of earlier runs, from their progress file
  bool terminal_;
  std::FILE* out_;
  std::string status_path_, status_db_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "12s"

}  // namespace fb::study
