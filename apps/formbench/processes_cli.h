#pragma once
// `bench --processes K` and `compare --processes K`: the same command line measured in K fresh processes
// of this binary (each a `compare --json --processes 1`), combined with two-level statistics, printed as a
// table or JSON (formbench.compare.processes/1). bench is compare with one backend.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace fb::cli {

// The arguments of process i (0-based) from this process's own arguments (after the program name):
// output flags, --processes, --lock and --order-seed are replaced; `bench` becomes `compare --backends B`;
// only process 0 checks against the reference (when the command asked for it) and simulates the cache.
std::vector<std::string> process_args(const std::vector<std::string>& own, int i);

// This process's arguments after the program name.
std::vector<std::string> own_args();

// `--span SECONDS` of bench and compare, and its check against --processes (a span needs 2 or more).
void add_span_flag(CLI::App* sub, double& span_s);
void check_span(int processes, double span_s);

// Runs K processes (more while unstable, up to 2K) and prints the combination. Returns the exit code.
// `span_s` > 0 spreads the K processes' starts evenly over that many seconds: back to back they sample
// about ten seconds of the host, whose speed drifts by a few percent over minutes.
int run_in_processes(int k, bool json, double span_s = 0);

}  // namespace fb::cli
