#include "observability/prometheus_metrics.hpp"

#include <gtest/gtest.h>

#include "observability/process_metrics.hpp"

namespace drover::observability {
namespace {

bool has_line(const std::string& text, const std::string& prefix) {
  return text.find("\n" + prefix) != std::string::npos || text.rfind(prefix, 0) == 0;
}

TEST(PrometheusMetricsTest, RendersCountersGaugesAndHistograms) {
  prometheus_metrics adapter;
  metrics& metrics = adapter;
  metrics.make_counter("drover_things_total", "Things.", {{"kind", "a"}}).increment(2);
  metrics.make_counter("drover_things_total", "Things.", {{"kind", "b"}}).increment();
  metrics.make_gauge("drover_level", "Level.").set(7);
  metrics.make_histogram("drover_seconds", "Seconds.", {0.1, 1}).observe(0.5);
  const auto text = adapter.render_text();
  EXPECT_TRUE(has_line(text, "drover_things_total{kind=\"a\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "drover_things_total{kind=\"b\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "drover_level 7")) << text;
  EXPECT_TRUE(has_line(text, "drover_seconds_bucket{le=\"1\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "drover_seconds_bucket{le=\"0.1\"} 0")) << text;
}

TEST(PrometheusMetricsTest, SameNameAndLabelsIsTheSameMetric) {
  prometheus_metrics adapter;
  auto& first = adapter.make_counter("drover_x_total", "X.", {});
  auto& second = adapter.make_counter("drover_x_total", "X.", {});
  EXPECT_EQ(&first, &second);
}

TEST(PrometheusMetricsTest, CollectHooksRunBeforeEachCollection) {
  prometheus_metrics metrics;
  auto& gauge = metrics.make_gauge("drover_calls", "Calls.", {});
  int calls = 0;
  metrics.on_collect([&] { gauge.set(++calls); });
  metrics.render_text();
  const auto text = metrics.render_text();
  EXPECT_TRUE(has_line(text, "drover_calls 2")) << text;
}

TEST(ProcessMetricsTest, ReportsThisProcess) {
  const auto usage = read_process_usage();
  EXPECT_GT(usage.resident_bytes, 1'000'000);
  EXPECT_GE(usage.open_file_descriptors, 3);
  prometheus_metrics metrics;
  register_process_metrics(metrics, "9.9.9");
  const auto text = metrics.render_text();
  EXPECT_TRUE(has_line(text, "drover_build_info{version=\"9.9.9\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "drover_process_resident_memory_bytes ")) << text;
  EXPECT_TRUE(has_line(text, "drover_process_open_fds ")) << text;
  EXPECT_TRUE(has_line(text, "drover_uptime_seconds ")) << text;
}

TEST(MetricsTest, ExponentialBuckets) {
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
}

} // namespace
} // namespace drover::observability
