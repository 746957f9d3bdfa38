#pragma once
// The progress file of a study run (`study run --progress-file`): how far the run is and how fast it has gone
// against the plan's estimate. A Slurm array task keeps one next to its shard database, and `study status`
// reads them for an ETA from the observed speed instead of the plan's round numbers.
#include <optional>
#include <string>

namespace fb::study {

struct ProgressFile {
  std::string db;               // the results database the runs write (a file of another is not carried on)
  double updated_unix = 0;      // when written (seconds since the epoch)
  // Over every run that kept this file (a resumed shard adds to what its earlier tasks did):
  double elapsed_s = 0;         // measuring time (each run's, from when it took the machine's measurement lock)
  double estimate_done_s = 0;   // the plan's estimate of the work finished in that time
  double estimate_total_s = 0;  // ... and of that work plus what the latest run set out to do
  double eta_s = 0;             // the latest run's ETA when written: what it has left, at the speed observed
  int done = 0, todo = 0, failed = 0;  // the latest run's

  // Seconds the run takes per second of the plan's estimate; none before anything finished.
  std::optional<double> speed_factor() const;
};

// Replaces `path` whole (a reader never sees half a file; a failed write leaves the old one); false (and no
// throw) when it cannot be written.
bool write_progress_file(const std::string& path, const ProgressFile& f);
// None when missing or unreadable (a run is replacing it, or none ever started).
std::optional<ProgressFile> read_progress_file(const std::string& path);

}  // namespace fb::study
