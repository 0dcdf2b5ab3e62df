#include "libs/server/callback_unary.h"

#include "absl/strings/string_view.h"

namespace firegrid::server {

trace::Context TraceContextOf(const grpc::ServerContextBase& ctx) {
  const auto& md = ctx.client_metadata();
  auto value = [&md](absl::string_view key) -> absl::string_view {
    auto it = md.find(grpc::string_ref(key.data(), key.size()));
    return it == md.end() ? absl::string_view()
                          : absl::string_view(it->second.data(), it->second.size());
  };
  return trace::ContinueOrStart(value(trace::kTraceparentHeader), value(trace::kTracestateHeader));
}

}  // namespace firegrid::server
