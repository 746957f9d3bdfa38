#pragma once
// Makes LibTorch's BLAS run its best kernels without the user knowing about it.
//
// Debian's LibTorch calls whatever libblas.so.3 the system provides (Linear and some convolutions lower to
// sgemm). OpenBLAS picks its kernels once, when it is loaded, from the CPU model or from OPENBLAS_CORETYPE.
// A release that does not know a CPU with AVX-512 falls back to an older (AVX2 or SSE) kernel, several
// times slower. Because the library is a load-time dependency, the variable must be in the environment
// before the program starts: formbench sets it and re-executes itself once, before main(). The decision is
// a pure function so it can be tested; the start-up hook only gathers its inputs.
//
// Valgrind cannot execute AVX-512 instructions: a program started under valgrind must NOT have
// OPENBLAS_CORETYPE=SKYLAKEX (it dies with SIGILL). A formbench that re-executed itself passes the variable
// to its children, together with FORMBENCH_BLAS_TUNED; whoever launches valgrind from it removes both.
#include <optional>
#include <string>

namespace fb::torch_blas {

struct TuningInputs {
  std::optional<std::string> user_coretype;  // OPENBLAS_CORETYPE as found
  bool disabled = false;                     // FORMBENCH_NO_BLAS_TUNING=1
  bool cpu_avx512 = false;                   // AVX-512 F/CD/BW/DQ/VL usable (cpuid + OS support)
  std::optional<std::string> openblas_core;  // openblas_get_corename() when OpenBLAS is loaded
  bool under_valgrind = false;               // valgrind cannot run AVX-512 code, nor follow a re-exec
};

struct TuningDecision {
  bool reexec = false;     // set OPENBLAS_CORETYPE=coretype and re-execute
  std::string coretype;    // the value to set
  std::string reason;      // why (or why not), one line for diagnostics
  bool warn = false;       // the BLAS runs a slow kernel and formbench could not fix it
};

// OpenBLAS core names (as openblas_get_corename reports them) whose kernels use AVX-512.
bool is_avx512_core(const std::string& core);
TuningDecision decide(const TuningInputs& in);

// What happened at start-up in this process, for describe() and diagnostics().
struct TuningState {
  TuningDecision decision;
  bool applied = false;  // this process was re-executed by formbench with the variable set
  std::string core;      // OpenBLAS's core now, or empty when the BLAS is not OpenBLAS
};
const TuningState& state();

// CPU facts, also used by diagnostics.
bool cpu_has_avx512();
std::optional<std::string> openblas_corename();  // nullopt when OpenBLAS is not loaded
std::string blas_library_path();                 // the libblas/libopenblas/libmkl file loaded, or ""

}  // namespace fb::torch_blas
