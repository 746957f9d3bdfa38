#include "study/outcome.h"

#include <string.h>

#include <algorithm>
#include <csignal>

#include <fmt/format.h>

namespace fb::study {
namespace {

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t begin = text.rfind('\n', end);
  std::string line = text.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
  for (const char* prefix : {"formbench: error: ", "formbench: "})
    if (line.rfind(prefix, 0) == 0) return line.substr(strlen(prefix));
  return line;
}

bool mentions_oom(const std::string& err) {
  std::string lower = err;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("bad_alloc") != std::string::npos || lower.find("out of memory") != std::string::npos ||
         lower.find("cannot allocate memory") != std::string::npos;
}

std::string with_stderr(std::string what, const std::string& err) {
  const std::string l = last_line(err);
  return l.empty() ? what : what + ": " + l;
}

}  // namespace

Outcome classify(const ChildResult& r, double timeout_s) {
  Outcome o;
  if (r.timed_out) {
    o.failure = FailureRecord{"timeout", fmt::format("no result within the per-point limit of {} s (killed)", timeout_s)};
    return o;
  }
  if (r.signaled) {
    if (r.signal == SIGKILL)
      o.failure = FailureRecord{"oom", with_stderr("killed by SIGKILL (most likely the out-of-memory killer)", r.err)};
    else if (mentions_oom(r.err))
      o.failure = FailureRecord{"oom", with_stderr(fmt::format("out of memory (signal {})", sigabbrev_np(r.signal) ? sigabbrev_np(r.signal) : "?"), r.err)};
    else
      o.failure = FailureRecord{"crash", with_stderr(fmt::format("killed by signal SIG{} ({})",
                                                                 sigabbrev_np(r.signal) ? sigabbrev_np(r.signal) : "?",
                                                                 sigdescr_np(r.signal) ? sigdescr_np(r.signal) : "?"),
                                                     r.err)};
    return o;
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  const bool is_result = j.is_object() && j.contains("backends");
  // compare exits 1 after printing a result in which a backend disagrees with the reference: the result
  // stands (the disagreement is flagged per backend by the runner).
  if (r.exit_code != 0 && !(is_result && r.exit_code == 1)) {
    if (r.exit_code == 137 || mentions_oom(r.err))
      o.failure = FailureRecord{"oom", with_stderr(fmt::format("out of memory (exit code {})", r.exit_code), r.err)};
    else
      o.failure = FailureRecord{"error", with_stderr(fmt::format("exit code {}", r.exit_code), r.err)};
    return o;
  }
  if (!is_result) {
    std::string head = r.out.substr(0, 120);
    std::replace(head.begin(), head.end(), '\n', ' ');
    o.failure = FailureRecord{"error", fmt::format("compare printed no result JSON (stdout began: '{}')", head)};
    return o;
  }
  if (j.value("schema", "") != "formbench.compare/2") {
    o.failure = FailureRecord{"error", fmt::format("unsupported compare schema {}", j.value("schema", nlohmann::json()).dump())};
    return o;
  }
  o.result = std::move(j);
  return o;
}

}  // namespace fb::study
