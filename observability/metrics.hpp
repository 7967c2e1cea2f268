#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace drover::observability {

/// Label names to values; keep the set of values bounded (no job ids, no file names).
using labels = std::map<std::string, std::string>;

/// A value that only goes up. Thread-safe.
class counter {
public:
  virtual ~counter() = default;
  /// Adds `amount` (>= 0).
  virtual void increment(double amount = 1.0) = 0;
};

/// A value that goes up and down. Thread-safe.
class gauge {
public:
  virtual ~gauge() = default;
  /// Replaces the value.
  virtual void set(double value) = 0;
  /// Adds `amount`, which may be negative.
  virtual void add(double amount) = 0;
};

/// A distribution of observations over fixed buckets. Thread-safe.
class histogram {
public:
  virtual ~histogram() = default;
  /// Records one observation.
  virtual void observe(double value) = 0;
};

/// The metrics seam every library instruments itself through, so that only the adapter depends
/// on prometheus-cpp. Thread-safe. Returned references live as long as the `metrics` object.
/// Names start with `drover_`; asking twice for the same name and labels returns the same metric.
class metrics {
public:
  virtual ~metrics() = default;

  /// Returns the counter `name` with `labels`, creating it on first use.
  virtual counter& make_counter(const std::string& name, const std::string& help,
                                const labels& labels = {}) = 0;

  /// Returns the gauge `name` with `labels`, creating it on first use.
  virtual gauge& make_gauge(const std::string& name, const std::string& help,
                            const labels& labels = {}) = 0;

  /// Returns the histogram `name` with `labels` and upper bucket `bounds`, creating it on first
  /// use (the bounds of the first call win).
  virtual histogram& make_histogram(const std::string& name, const std::string& help,
                                    const std::vector<double>& bounds,
                                    const labels& labels = {}) = 0;

  /// Registers `hook` to run right before every collection, for values that are read rather
  /// than counted (resident memory, open files). Hooks run on the collecting thread.
  virtual void on_collect(std::function<void()> hook) = 0;
};

/// Returns exponential bucket bounds `start, start*factor, ...` (`count` of them).
std::vector<double> exponential_buckets(double start, double factor, int count);

} // namespace drover::observability
