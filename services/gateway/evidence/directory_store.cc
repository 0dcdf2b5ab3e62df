#include "services/gateway/evidence/directory_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/status.h"
#include "services/gateway/evidence/hashing.h"
#include "services/gateway/evidence/policy.h"

namespace firegrid::gateway::evidence {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// mkdir with mode 0700; an existing directory is fine. Sets *created when it made it.
absl::Status MakeDir(const std::string& path, bool* created = nullptr) {
  if (::mkdir(path.c_str(), 0700) == 0) {
    if (created != nullptr) *created = true;
    return absl::OkStatus();
  }
  if (errno == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(path, " exists and is not a directory"));
  }
  return Errno("cannot create directory", path);
}

absl::Status SyncDir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("cannot fsync directory", path);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Writes `data` to `path` all or nothing: a temporary file beside it, fsync, rename. The
// caller fsyncs the directory.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view data) {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  uint64_t suffix;
  {
    absl::MutexLock l(&mu);
    suffix = absl::Uniform<uint64_t>(*gen);
  }
  const std::string tmp = absl::StrCat(path, ".tmp.", absl::Hex(suffix, absl::kZeroPad16));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  absl::Status status = WriteAll(fd, data, tmp);
  if (status.ok() && ::fsync(fd) != 0) status = Errno("cannot fsync", tmp);
  if (::close(fd) != 0 && status.ok()) status = Errno("cannot close", tmp);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Errno("cannot rename into", path);
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

// The whole file; NOT_FOUND when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError("no such blob");
    return Errno("cannot open", path);
  }
  std::string out;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = Errno("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DirectoryBlobStore>> DirectoryBlobStore::Open(std::string root) {
  if (root.empty()) return InvalidField("evidence.directory", "is empty");
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(root).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create directory ", parent.string(), ": ", ec.message()));
    }
  }
  FG_RETURN_IF_ERROR(MakeDir(root));
  const std::string sha_dir = root + "/sha256";
  FG_RETURN_IF_ERROR(MakeDir(sha_dir));
  if (::access(sha_dir.c_str(), W_OK | X_OK) != 0) return Errno("cannot write in", sha_dir);
  return std::unique_ptr<DirectoryBlobStore>(new DirectoryBlobStore(std::move(root)));
}

std::string DirectoryBlobStore::PathOf(absl::string_view hex) const {
  return absl::StrCat(root_, "/sha256/", hex.substr(0, 2), "/", hex);
}

absl::StatusOr<std::string> DirectoryBlobStore::Put(absl::string_view bytes,
                                                    absl::string_view media_type) {
  const std::string hex = Sha256Hex(bytes);
  const std::string path = PathOf(hex);
  const std::string type_path = path + ".type";
  if (Exists(path) && Exists(type_path)) return hex;  // stored before: once is enough
  const std::string shard = absl::StrCat(root_, "/sha256/", hex.substr(0, 2));
  bool created = false;
  FG_RETURN_IF_ERROR(MakeDir(shard, &created));
  if (created) FG_RETURN_IF_ERROR(SyncDir(root_ + "/sha256"));
  FG_RETURN_IF_ERROR(WriteFileAtomically(type_path, media_type));
  FG_RETURN_IF_ERROR(SyncDir(shard));
  FG_RETURN_IF_ERROR(WriteFileAtomically(path, bytes));
  FG_RETURN_IF_ERROR(SyncDir(shard));
  return hex;
}

absl::StatusOr<BlobStore::Blob> DirectoryBlobStore::Get(absl::string_view hex) {
  if (!IsSha256Hex(hex)) return InvalidField("sha256", "must be 64 lower-case hex digits");
  const std::string path = PathOf(hex);
  FG_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  absl::StatusOr<std::string> type = ReadFile(path + ".type");
  if (absl::IsNotFound(type.status())) {
    return absl::DataLossError(absl::StrCat("blob ", hex, " has no media type"));
  }
  if (!type.ok()) return type.status();
  if (Sha256Hex(bytes) != hex) {
    return absl::DataLossError(absl::StrCat("blob ", hex, " does not hash to its address"));
  }
  Blob blob;
  blob.media_type = std::string(absl::StripAsciiWhitespace(*type));
  const auto& known = KnownMediaTypes();
  if (std::find(known.begin(), known.end(), blob.media_type) == known.end()) {
    return absl::DataLossError(absl::StrCat("blob ", hex, " has an unknown media type"));
  }
  blob.bytes = std::move(bytes);
  return blob;
}

}  // namespace firegrid::gateway::evidence
