#pragma once
// Work split across threads inside one run. Callers give every item its own output, so results
// do not depend on the number of threads or on which thread ran which item.
#include <cstdint>
#include <functional>

namespace cimba::numerics {

/// Runs fn(i) for every i in [0, n) on up to `threads` threads (the calling thread is one of
/// them; threads <= 1 runs them in order on the caller). Items are handed out from a shared
/// counter. When items throw, the exception of the lowest such item is rethrown after all ended.
void parallel_for(int threads, std::int64_t n, const std::function<void(std::int64_t)>& fn);

/// The number of CPUs this process may run on (sched_getaffinity; at least 1).
int available_cpus();

}  // namespace cimba::numerics
