#include "libs/redis/script.h"

#include <openssl/evp.h>

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/redis/replica_wait.h"

namespace firegrid::redis {
namespace {

std::string Sha1Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), static_cast<size_t>(len)));
}

std::vector<std::string> EvalCommand(const char* verb, const std::string& script_or_sha,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> cmd;
  cmd.reserve(3 + keys.size() + args.size());
  cmd.push_back(verb);
  cmd.push_back(script_or_sha);
  cmd.push_back(std::to_string(keys.size()));
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

}  // namespace

Script::Script(std::string lua) : lua_(std::move(lua)), sha1_(Sha1Hex(lua_)) {}

namespace {

// The script command, followed by WAIT on the same connection when the pool asks replicas to
// acknowledge writes (PoolOptions::wait_replicas). Returns the script's reply.
absl::StatusOr<Reply> RunOnce(Pool& pool, std::vector<std::string> command) {
  std::vector<std::vector<std::string>> commands = {std::move(command)};
  std::optional<std::vector<std::string>> wait = ReplicaWaitCommand(pool.options());
  const bool waits = wait.has_value();
  if (waits) commands.push_back(*std::move(wait));
  absl::StatusOr<std::vector<Reply>> replies = pool.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (waits && !(*replies)[0].IsError()) {
    absl::Status acked = CheckReplicaWait(pool.options(), (*replies)[1]);
    if (!acked.ok()) return acked;
  }
  return std::move((*replies)[0]);
}

}  // namespace

absl::StatusOr<Reply> Script::Run(Pool& pool, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args) const {
  // Pipeline() hands back the raw error reply, so NOSCRIPT is told apart from script errors
  // without parsing a mapped Status.
  absl::StatusOr<Reply> reply = RunOnce(pool, EvalCommand("EVALSHA", sha1_, keys, args));
  if (!reply.ok()) return reply.status();
  if (reply->IsError() && absl::StartsWith(reply->str, "NOSCRIPT")) {
    // Not cached (first use, Redis restarted, SCRIPT FLUSH): EVAL loads and runs it.
    reply = RunOnce(pool, EvalCommand("EVAL", lua_, keys, args));
    if (!reply.ok()) return reply.status();
  }
  if (reply->IsError()) return ErrorReplyToStatus(reply->str);
  return reply;
}

}  // namespace firegrid::redis
