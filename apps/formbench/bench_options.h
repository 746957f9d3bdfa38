#pragma once
// Flags shared by `bench`, `compare` and the hidden `_cachesim-child`: what to run (threads, batch,
// precision, backend options) and how to time it (warm-up, stopping rule, counters, pinning).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "measure/bench.h"
#include "measure/compare_run.h"

namespace fb::cli {

struct BenchFlags {
  measure::BenchSettings s;
  std::map<std::string, std::string> point_values;  // the point flags given (measure/point_flags.h), by flag
  std::vector<std::string> opts;  // [backend:]key=value
  std::string pin;
  bool no_counters = false, no_ceilings = false;
  bool cache_sim = false;
  std::string cache_sim_i1, cache_sim_d1, cache_sim_ll;
  int cache_sim_iterations = 1;
  double check_tol = 0;
  // Turns the strings into BenchSettings fields; throws fb::Error on bad values.
  measure::BenchSettings resolve() const;
};

void add_point_flags(CLI::App* sub, BenchFlags& f);    // measure::point_flags() and --opt
void add_timing_flags(CLI::App* sub, BenchFlags& f);   // warm-up, stopping rule, counters, ceilings, pinning
void add_check_flags(CLI::App* sub, BenchFlags& f);    // --check --check-tol
void add_cache_sim_flags(CLI::App* sub, BenchFlags& f);

// Progress lines go to stderr, and only when it is a terminal (one line, overwritten).
std::function<void(const std::string&)> terminal_progress();
void end_progress();
// One "formbench: note: ..." line on stderr.
void note_line(const std::string& line);
// "torch,onednn" -> {"torch", "onednn"}: a comma-separated flag's items, empty ones skipped.
std::vector<std::string> split_list(const std::string& s);

// One "formbench: error: BACKEND disagrees with the reference backend: ..." line on stderr for each backend
// of a compare run whose outputs disagreed (`then`: what that means for its figures, appended in
// parentheses); false when any did.
bool all_agree(const measure::CompareResult& r, const std::string& then = "");

}  // namespace fb::cli
