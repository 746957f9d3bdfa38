#include "processes_cli.h"

#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "command.h"
#include "core/command_line.h"
#include "core/error.h"
#include "measure/processes.h"
#include "study/processes_run.h"

namespace fb::cli {
namespace {

bool is(const std::string& a, const char* flag) { return a == flag || a.rfind(std::string(flag) + "=", 0) == 0; }

}  // namespace

std::vector<std::string> own_args() {
  std::vector<std::string> args = own_command_line();
  if (!args.empty()) args.erase(args.begin());
  return args;
}

std::vector<std::string> process_args(const std::vector<std::string>& own, int i) {
  std::vector<std::string> out;
  bool bench = false, check = true, no_check = false;
  for (size_t j = 0; j < own.size(); ++j) {
    const std::string& a = own[j];
    const bool has_value = a.find('=') == std::string::npos && j + 1 < own.size();
    if (j == 0 && a == "bench") {
      bench = true;
      check = false;  // bench checks only when asked (--check)
      out.push_back("compare");
    } else if (is(a, "--processes") || is(a, "--lock") || is(a, "--order-seed") || is(a, "--span")) {
      if (has_value) ++j;
    } else if (a == "--json" || a == "--csv") {
    } else if (bench && (a == "-B" || a == "--backend")) {
      out.push_back("--backends");
    } else if (bench && a.rfind("--backend=", 0) == 0) {
      out.push_back("--backends=" + a.substr(10));
    } else if (bench && a == "--check") {
      check = true;
    } else if (a == "--no-check") {
      no_check = true;
    } else if (i > 0 && a == "--cache-sim") {
    } else {
      out.push_back(a);
    }
  }
  if (no_check || !check || i > 0) out.push_back("--no-check");
  for (const char* a : {"--json", "--processes", "1", "--order-seed"}) out.push_back(a);
  out.push_back(std::to_string(i + 1));
  return out;
}

void add_span_flag(CLI::App* sub, double& span_s) {
  sub->add_option("--span", span_s,
                  "with --processes K: spread the K processes' starts over SECONDS, so the figures also "
                  "sample the host's drift over that time")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

void check_span(int processes, double span_s) {
  if (span_s > 0 && processes < 2) fail("--span spreads processes: it needs --processes 2 or more");
}

int run_in_processes(int k, bool json, double span_s) {
  if (span_s < 0) fail("--span must be >= 0 seconds, got {}", span_s);
  const std::vector<std::string> own = own_args();
  using clock = std::chrono::steady_clock;
  const clock::time_point t0 = clock::now();
  const double gap_s = k > 1 ? span_s / (k - 1) : 0;
  // Process i + 1 starts no earlier than t0 + (i + 1) x gap; processes the stability rule adds follow at once.
  auto wait_for_next = [&](int i, const nlohmann::json&) {
    if (gap_s <= 0 || i + 1 >= k) return;
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<clock::duration>(
                                           std::chrono::duration<double>(gap_s * (i + 1))));
  };
  study::ProcessesRun run = study::run_processes(
      "/proc/self/exe", [&](int i) { return process_args(own, i); }, k, 2 * k, 3600, {}, wait_for_next);
  if (!run.combined) fail("{}: {}", run.failure->kind, run.failure->reason);
  nlohmann::json& c = *run.combined;
  c["remeasured"] = run.remeasured;
  c["unstable"] = run.unstable ? nlohmann::json(*run.unstable) : nlohmann::json(nullptr);
  if (json) std::cout << c.dump(2) << "\n";
  else std::cout << measure::combined_table(c) << (run.remeasured ? fmt::format("  {} processes were added by the stability rule\n", run.remeasured) : "");
  bool ok = true;
  for (const auto& b : c["backends"])
    if (b.value("agreement", nlohmann::json()).is_object() && !b["agreement"].value("passed", true)) {
      std::cerr << "formbench: error: " << b.value("backend", "") << " disagrees with the reference backend\n";
      ok = false;
    }
  return ok ? k_exit_ok : k_exit_error;
}

}  // namespace fb::cli
