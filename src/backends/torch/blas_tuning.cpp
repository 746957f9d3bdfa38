#include "backends/torch/blas_tuning.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define FB_RUNNING_ON_VALGRIND (RUNNING_ON_VALGRIND != 0)
#else
#define FB_RUNNING_ON_VALGRIND false
#endif

namespace fb::torch_blas {
namespace {

// Set in the re-executed process; holds the core OpenBLAS had chosen on its own, for the record.
constexpr const char* k_marker = "FORMBENCH_BLAS_TUNED";
constexpr const char* k_avx512_coretype = "SKYLAKEX";

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

TuningInputs gather_inputs() {
  TuningInputs in;
  in.user_coretype = env("OPENBLAS_CORETYPE");
  in.disabled = env("FORMBENCH_NO_BLAS_TUNING").value_or("") == "1";
  in.cpu_avx512 = cpu_has_avx512();
  in.openblas_core = openblas_corename();
  in.under_valgrind = FB_RUNNING_ON_VALGRIND;
  return in;
}

#ifdef FORMBENCH_TORCH_BLAS_HOOK
// Runs before main (glibc passes argc/argv/envp to ELF constructors). The BLAS library is a load-time
// dependency of LibTorch, so it is already loaded and has already chosen its kernels.
__attribute__((constructor)) void tune_blas_at_start(int argc, char** argv, char** /*envp*/) {
  TuningDecision d = decide(gather_inputs());
  // Only a run under valgrind hears about it at start-up; everyone else sees it in `formbench doctor`.
  if (d.warn && FB_RUNNING_ON_VALGRIND) std::fprintf(stderr, "formbench: warning: %s\n", d.reason.c_str());
  if (!d.reexec || argc < 1 || !argv || !argv[0]) return;
  // The variable guards against loops: the new process sees it set and keeps OpenBLAS's choice.
  setenv("OPENBLAS_CORETYPE", d.coretype.c_str(), 1);
  setenv(k_marker, openblas_corename().value_or("?").c_str(), 1);
  execv("/proc/self/exe", argv);
  // exec failed (no /proc?): carry on with the slow kernel; diagnostics will say so.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(k_marker);
}
#endif

}  // namespace

bool is_avx512_core(const std::string& core) {
  std::string c = core;
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return c == "skylakex" || c == "cooperlake" || c == "sapphirerapids";
}

TuningDecision decide(const TuningInputs& in) {
  TuningDecision d;
  const bool slow_core = in.openblas_core && in.cpu_avx512 && !is_avx512_core(*in.openblas_core);
  if (in.under_valgrind) {
    // Valgrind (3.19) cannot execute AVX-512 and hides it from cpuid, so OpenBLAS's own choice is right.
    if (in.user_coretype && is_avx512_core(*in.user_coretype)) {
      d.warn = true;
      d.reason = "OPENBLAS_CORETYPE=" + *in.user_coretype +
                 " under valgrind, which cannot execute AVX-512: expect SIGILL; start valgrind without it";
    } else {
      d.reason = "running under valgrind (no AVX-512 there): OpenBLAS's own choice stands";
    }
  } else if (in.user_coretype) {
    d.reason = "OPENBLAS_CORETYPE=" + *in.user_coretype + " was set by the user; left as is";
  } else if (in.disabled) {
    d.reason = "BLAS tuning disabled by FORMBENCH_NO_BLAS_TUNING=1";
    d.warn = slow_core;
    if (slow_core) d.reason += "; OpenBLAS runs its '" + *in.openblas_core + "' kernel on an AVX-512 CPU";
  } else if (!in.openblas_core) {
    d.reason = "the BLAS library is not OpenBLAS; nothing to tune";
  } else if (!in.cpu_avx512) {
    d.reason = "the CPU has no AVX-512; OpenBLAS's own choice (" + *in.openblas_core + ") stands";
  } else if (!slow_core) {
    d.reason = "OpenBLAS recognised the CPU (core " + *in.openblas_core + ")";
  } else {
    d.reexec = true;
    d.coretype = k_avx512_coretype;
    d.reason = "the CPU has AVX-512 but OpenBLAS chose its '" + *in.openblas_core +
               "' kernel; formbench set OPENBLAS_CORETYPE=SKYLAKEX";
  }
  return d;
}

const TuningState& state() {
  static const TuningState s = [] {
    TuningState t;
    t.core = openblas_corename().value_or("");
    const auto marker = env(k_marker);
    const auto coretype = env("OPENBLAS_CORETYPE");
    if (marker && coretype) {
      t.applied = true;
      t.decision.coretype = *coretype;
      t.decision.reason = "the CPU has AVX-512 but OpenBLAS chose its '" + *marker +
                          "' kernel; formbench set OPENBLAS_CORETYPE=" + *coretype + " and restarted itself";
    } else {
      t.decision = decide(gather_inputs());
      if (t.decision.reexec) {  // the start-up hook's exec failed
        t.decision.warn = true;
        t.decision.reason += ", but could not restart itself: set it before starting formbench";
      }
    }
    return t;
  }();
  return s;
}

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool osxsave = (c >> 27) & 1;
  if (!osxsave) return false;
  // The OS must save the opmask and ZMM state (XCR0 bits 1, 2, 5, 6, 7), or the instructions fault.
  unsigned xlo = 0, xhi = 0;
  __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
  if ((xlo & 0xE6u) != 0xE6u) return false;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const unsigned need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);  // F DQ CD BW VL
  return (b & need) == need;
#else
  return false;
#endif
}

std::optional<std::string> openblas_corename() {
  using Fn = char* (*)();
  auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!fn) return std::nullopt;
  const char* name = fn();
  return name ? std::optional<std::string>(name) : std::nullopt;
}

std::string blas_library_path() {
  struct Found {
    std::string path;
  } found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        const char* name = info->dlpi_name;
        if (!name || !*name) return 0;
        const char* base = std::strrchr(name, '/');
        base = base ? base + 1 : name;
        if (std::strncmp(base, "libblas.so", 10) == 0 || std::strncmp(base, "libopenblas", 11) == 0 ||
            std::strncmp(base, "libmkl_", 7) == 0 || std::strncmp(base, "libblis", 7) == 0) {
          char real[PATH_MAX];
          static_cast<Found*>(data)->path = realpath(name, real) ? real : name;
          return 1;
        }
        return 0;
      },
      &found);
  return found.path;
}

}  // namespace fb::torch_blas
