#pragma once
// How far apart the CPUs a multi-threaded measurement runs on are: the round trip of one cache line between
// two threads pinned to two of the process's CPUs (one writes, the other answers, 100 times; the fastest of
// three batches, so one preemption does not count).
//
// Why it is measured: on a shared cloud guest the hypervisor moves the vCPUs between host cores every few
// seconds. On the 2-vCPU EPYC guest the round trip is 70-120 ns while both vCPUs sit on cores sharing an L3
// and 330-410 ns while they sit on different dies, and the state flips within seconds. Torch eager pays the
// far state at every OpenMP fork and join (a depth-8 plain net at 64 px: 0.62 ms near, 0.86 ms far; oneDNN
// 0.30 and 0.33 ms), so a 2-thread speedup measured in the far state is 2.6x and in the near state 2.1x: two
// true answers to two different machines. docs/measure.md, "Where the threads sit".
#include <optional>
#include <vector>

namespace fb::measure {

// The round trip in ns between threads pinned to the first two of `cpus`, or nullopt with fewer than two
// CPUs (or when a batch could not finish within 50 ms: a CPU that never ran the partner thread).
std::optional<double> thread_round_trip_ns(const std::vector<int>& cpus);

}  // namespace fb::measure
