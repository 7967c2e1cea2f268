#include "observability/metrics.hpp"

namespace drover::observability {

std::vector<double> exponential_buckets(double start, double factor, int count) {
  std::vector<double> bounds;
  bounds.reserve(static_cast<size_t>(count));
  for (auto bound = start; count-- > 0; bound *= factor)
    bounds.push_back(bound);
  return bounds;
}

} // namespace drover::observability
