#include "observability/prometheus_metrics.hpp"

#include <map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/text_serializer.h>

namespace drover::observability {

namespace {

class prometheus_counter : public counter {
public:
  explicit prometheus_counter(prometheus::Counter& impl) : impl_(impl) {}
  void increment(double amount) override { impl_.Increment(amount); }

private:
  prometheus::Counter& impl_;
};

class prometheus_gauge : public gauge {
public:
  explicit prometheus_gauge(prometheus::Gauge& impl) : impl_(impl) {}
  void set(double value) override { impl_.Set(value); }
  void add(double amount) override { impl_.Increment(amount); }

private:
  prometheus::Gauge& impl_;
};

class prometheus_histogram : public histogram {
public:
  explicit prometheus_histogram(prometheus::Histogram& impl) : impl_(impl) {}
  void observe(double value) override { impl_.Observe(value); }

private:
  prometheus::Histogram& impl_;
};

std::string key_of(const std::string& name, const labels& labels) {
  auto key = name;
  for (const auto& [label, value] : labels)
    key += '\x1f' + label + '=' + value;
  return key;
}

} // namespace

/// Our wrappers, one per (name, labels); guarded by prometheus_metrics::mutex_.
struct prometheus_metrics::adapters {
  std::map<std::string, std::unique_ptr<counter>> counters;
  std::map<std::string, std::unique_ptr<gauge>> gauges;
  std::map<std::string, std::unique_ptr<histogram>> histograms;
};

prometheus_metrics::prometheus_metrics()
  : registry_(std::make_shared<prometheus::Registry>()),
    adapters_(std::make_unique<adapters>()) {}

prometheus_metrics::~prometheus_metrics() = default;

counter& prometheus_metrics::make_counter(const std::string& name, const std::string& help,
                                          const labels& labels) {
  std::lock_guard guard{mutex_};
  auto& slot = adapters_->counters[key_of(name, labels)];
  if (!slot) {
    auto& family = prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    slot = std::make_unique<prometheus_counter>(family.Add(labels));
  }
  return *slot;
}

gauge& prometheus_metrics::make_gauge(const std::string& name, const std::string& help,
                                      const labels& labels) {
  std::lock_guard guard{mutex_};
  auto& slot = adapters_->gauges[key_of(name, labels)];
  if (!slot) {
    auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
    slot = std::make_unique<prometheus_gauge>(family.Add(labels));
  }
  return *slot;
}

histogram& prometheus_metrics::make_histogram(const std::string& name, const std::string& help,
                                              const std::vector<double>& bounds,
                                              const labels& labels) {
  std::lock_guard guard{mutex_};
  auto& slot = adapters_->histograms[key_of(name, labels)];
  if (!slot) {
    auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
    slot = std::make_unique<prometheus_histogram>(family.Add(labels, bounds));
  }
  return *slot;
}

void prometheus_metrics::on_collect(std::function<void()> hook) {
  std::lock_guard guard{mutex_};
  hooks_.push_back(std::move(hook));
}

std::vector<prometheus::MetricFamily> prometheus_metrics::collect() const {
  {
    std::lock_guard guard{mutex_};
    for (const auto& hook : hooks_)
      hook();
  }
  return registry_->Collect();
}

std::string prometheus_metrics::render_text() const {
  return prometheus::TextSerializer{}.Serialize(collect());
}

} // namespace drover::observability
