#include "apps/progress_display.hpp"

namespace drover::apps {

namespace {

constexpr auto plain_line_interval = std::chrono::seconds{5};
constexpr int bar_width = 30;

std::string clock_text(double seconds) {
  const auto total = static_cast<long>(seconds);
  char text[32];
  std::snprintf(text, sizeof(text), "%ld:%02ld", total / 60, total % 60);
  return text;
}

} // namespace

progress_display::progress_display(std::FILE* out, bool live)
  : out_(out), live_(live), started_(std::chrono::steady_clock::now()), last_line_(started_) {}

std::string progress_display::render(const nlohmann::json& job) const {
  const uint64_t total = job["items"].value("total", 0ULL);
  const uint64_t done = job["items"].value("done", 0ULL);
  const uint64_t failed = job["items"].value("failed", 0ULL);
  const uint64_t files = job["files"].value("total", 0ULL);
  const auto elapsed =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const auto finished = done + failed;
  const double fraction = total == 0 ? 0.0 : static_cast<double>(finished) / static_cast<double>(total);
  const double files_done = fraction * static_cast<double>(files);
  const double rate = elapsed > 0 ? files_done / elapsed : 0.0;
  const std::string eta = rate > 0 && fraction < 1 ? clock_text((static_cast<double>(files) - files_done) / rate) : "-";
  std::string bar;
  if (live_) {
    const auto filled = static_cast<int>(fraction * bar_width);
    bar = "[" + std::string(static_cast<size_t>(filled), '#')
          + std::string(static_cast<size_t>(bar_width - filled), '.') + "] ";
  }
  char line[256];
  std::snprintf(line, sizeof(line),
                "%s%s %llu/%llu items, ~%.0f/%llu files, %.0f files/s, ETA %s, %llu failed", bar.c_str(),
                job.value("state", "").c_str(), static_cast<unsigned long long>(finished),
                static_cast<unsigned long long>(total), files_done,
                static_cast<unsigned long long>(files), rate, eta.c_str(),
                static_cast<unsigned long long>(failed));
  return line;
}

void progress_display::update(const nlohmann::json& job) {
  const auto now = std::chrono::steady_clock::now();
  if (live_) {
    std::fprintf(out_, "\r\033[K%s", render(job).c_str());
    drawn_ = true;
  } else if (now - last_line_ >= plain_line_interval) {
    std::fprintf(out_, "%s\n", render(job).c_str());
    last_line_ = now;
  }
  std::fflush(out_);
}

void progress_display::finish() {
  if (live_ && drawn_)
    std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
}

} // namespace drover::apps
