#include "runtime/wire_messages.hpp"

namespace drover::runtime {

std::string to_string(member_state state) {
  switch (state) {
    case member_state::alive: return "alive";
    case member_state::suspect: return "suspect";
    case member_state::dead: return "dead";
  }
  return "unknown";
}

} // namespace drover::runtime
