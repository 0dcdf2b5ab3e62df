#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "libs/auth/service_token.h"
#include "libs/common/status.h"
#include "services/gateway/open311/open311_handler.h"

namespace firegrid::gateway {

absl::StatusOr<std::function<absl::StatusOr<std::string>(const std::string& channel)>>
NewOpen311ChannelTokens(const config::v1::Open311& config, const std::string& hs256_key,
                        const std::string& issuer, const std::string& audience, Clock* clock) {
  const std::string& jid = config.jurisdiction_id();
  const std::string district = jid.substr(jid.rfind('.') + 1);
  auto tokens = std::make_shared<std::map<std::string, std::shared_ptr<auth::ServiceToken>>>();
  for (int i = 0; i < config.channels_size(); ++i) {
    const config::v1::Open311Channel& c = config.channels(i);
    auth::ServiceTokenOptions options{.token_file = c.token_file(),
                                      .hs256_key = c.token_file().empty() ? hs256_key : "",
                                      .issuer = issuer,
                                      .audience = audience,
                                      .role = auth::Role::kPublicChannel,
                                      .subject = absl::StrCat("channel:", c.name()),
                                      .tier_path = district};
    auto token = auth::ServiceToken::Create(std::move(options), clock);
    if (!token.ok()) {
      return InvalidField(absl::StrCat("open311.channels[", i, "].token_file"),
                          token.status().message());
    }
    (*tokens)[c.name()] = std::move(*token);
  }
  return [tokens](const std::string& channel) -> absl::StatusOr<std::string> {
    auto it = tokens->find(channel);
    if (it == tokens->end()) {
      return absl::NotFoundError(absl::StrCat("no Open311 channel ", channel));
    }
    return it->second->Current();
  };
}

}  // namespace firegrid::gateway
