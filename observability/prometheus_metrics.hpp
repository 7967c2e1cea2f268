#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include "observability/metrics.hpp"

namespace drover::observability {

/// The prometheus-cpp adapter behind `metrics`; render_text() is what GET /metrics serves.
/// Thread-safe: `mutex_` guards the adapters and `hooks_`; prometheus-cpp's registry and
/// families do their own locking.
class prometheus_metrics : public metrics {
public:
  prometheus_metrics();
  ~prometheus_metrics() override;

  counter& make_counter(const std::string& name, const std::string& help,
                        const labels& labels) override;
  gauge& make_gauge(const std::string& name, const std::string& help,
                    const labels& labels) override;
  histogram& make_histogram(const std::string& name, const std::string& help,
                            const std::vector<double>& bounds, const labels& labels) override;
  void on_collect(std::function<void()> hook) override;

  /// Runs the collect hooks, then renders every metric in the Prometheus text format.
  std::string render_text() const;

private:
  std::vector<prometheus::MetricFamily> collect() const;

  struct adapters;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<adapters> adapters_;
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> hooks_;
};

} // namespace drover::observability
