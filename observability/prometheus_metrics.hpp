#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include "observability/metrics.hpp"

namespace drover::observability {

/// The prometheus-cpp adapter behind `metrics`. Thread-safe: `mutex_` guards `hooks_`;
/// prometheus-cpp's registry and families do their own locking.
/// Register it with a `prometheus::Exposer` as a collectable; it runs the collect hooks and then
/// returns the registry's families.
class prometheus_metrics : public metrics, public prometheus::Collectable {
public:
  prometheus_metrics();

  counter& make_counter(const std::string& name, const std::string& help,
                        const labels& labels) override;
  gauge& make_gauge(const std::string& name, const std::string& help,
                    const labels& labels) override;
  histogram& make_histogram(const std::string& name, const std::string& help,
                            const std::vector<double>& bounds, const labels& labels) override;
  void on_collect(std::function<void()> hook) override;

  /// Runs the collect hooks and returns every metric family (prometheus::Collectable).
  std::vector<prometheus::MetricFamily> Collect() const override;

  /// Renders every metric in the Prometheus text exposition format.
  std::string render_text() const;

private:
  struct adapters;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<adapters> adapters_;
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> hooks_;

public:
  ~prometheus_metrics() override;
};

} // namespace drover::observability
