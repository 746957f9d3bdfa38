#pragma once
// The onednn backend's refusal of bf16 on a CPU without AVX-512, worded in one place: the backend throws
// it, and the bf16 tests skip on exactly this refusal and fail on any other error. Header-only, so the
// tests compile whether or not the backend is built.
#include <string>
#include <string_view>

namespace fb::onednn {

inline constexpr std::string_view k_bf16_refusal_head = "backend 'onednn': bf16 needs AVX-512 (oneDNN reports ISA '";
inline constexpr std::string_view k_bf16_refusal_tail = "' here)";

// The message for a CPU whose best ISA (oneDNN's name for it, e.g. "avx2") is below avx512_core.
inline std::string bf16_refusal(std::string_view isa) {
  return std::string(k_bf16_refusal_head).append(isa).append(k_bf16_refusal_tail);
}

// True only for that refusal, naming an ISA below AVX-512: anything else is a real failure.
inline bool is_bf16_refusal(std::string_view what) {
  const size_t head = k_bf16_refusal_head.size(), tail = k_bf16_refusal_tail.size();
  if (what.size() <= head + tail || !what.starts_with(k_bf16_refusal_head) || !what.ends_with(k_bf16_refusal_tail))
    return false;
  const std::string_view isa = what.substr(head, what.size() - head - tail);
  return isa.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos &&
         !isa.starts_with("avx512");
}

}  // namespace fb::onednn
