#include "runtime/content_hash.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include "runtime/error.hpp"

namespace drover::runtime {

namespace {

std::string to_hex(XXH64_hash_t hash) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

struct state_deleter {
  void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
};

struct fd_closer {
  int fd;
  ~fd_closer() { ::close(fd); }
};

caf::error read_error(const std::string& path, int code) {
  return make_error(code == ENOENT ? runtime_errc::not_found : runtime_errc::io_error,
                    "cannot read " + path + ": " + std::strerror(code));
}

} // namespace

std::string content_hash(std::string_view bytes) {
  return to_hex(XXH3_64bits(bytes.data(), bytes.size()));
}

caf::expected<std::string> hash_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return read_error(path, errno);
  const fd_closer closer{fd};
  std::unique_ptr<XXH3_state_t, state_deleter> state{XXH3_createState()};
  if (state == nullptr || XXH3_64bits_reset(state.get()) != XXH_OK)
    return make_error(runtime_errc::io_error, "cannot allocate a hash state for " + path);
  std::array<char, 64U * 1024U> buffer;
  for (;;) {
    const auto count = ::read(fd, buffer.data(), buffer.size());
    if (count == 0)
      break;
    if (count < 0) {
      if (errno == EINTR)
        continue;
      return read_error(path, errno);
    }
    XXH3_64bits_update(state.get(), buffer.data(), static_cast<size_t>(count));
  }
  return to_hex(XXH3_64bits_digest(state.get()));
}

} // namespace drover::runtime
