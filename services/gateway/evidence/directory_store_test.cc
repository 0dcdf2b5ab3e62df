#include "services/gateway/evidence/directory_store.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "services/gateway/evidence/hashing.h"
#include "tests/support/temp_dir.h"

namespace firegrid::gateway::evidence {
namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1A\n", 8) + "pixels";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

ino_t Inode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

class DirectoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = DirectoryBlobStore::Open(dir_.Join("evidence"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  testing::TempDir dir_{"evidence-dir"};
  std::unique_ptr<DirectoryBlobStore> store_;
};

TEST_F(DirectoryStoreTest, PutKeepsTheBytesUnderTheirSha256InAShardWithTheirType) {
  absl::StatusOr<std::string> hex = store_->Put(kPng, "image/png");
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(*hex, Sha256Hex(kPng));
  const std::string path = dir_.Join("evidence/sha256/" + hex->substr(0, 2) + "/" + *hex);
  EXPECT_EQ(store_->PathOf(*hex), path);
  EXPECT_EQ(ReadAll(path), kPng);  // the raw bytes: sha256sum can check them
  EXPECT_EQ(ReadAll(path + ".type"), "image/png");
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(path + ".type"), 0600u);
  EXPECT_EQ(Mode(dir_.Join("evidence")), 0700u);
  EXPECT_EQ(Mode(dir_.Join("evidence/sha256")), 0700u);
  EXPECT_EQ(Mode(dir_.Join("evidence/sha256/" + hex->substr(0, 2))), 0700u);
  // Nothing else is left behind (no temporary files).
  int files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(dir_.Join("evidence/sha256/" + hex->substr(0, 2)))) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2);
}

TEST_F(DirectoryStoreTest, GetReturnsTheBytesAndTheirType) {
  absl::StatusOr<std::string> hex = store_->Put(kPng, "image/png");
  ASSERT_TRUE(hex.ok()) << hex.status();
  absl::StatusOr<BlobStore::Blob> blob = store_->Get(*hex);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(blob->bytes, kPng);
  EXPECT_EQ(blob->media_type, "image/png");
}

TEST_F(DirectoryStoreTest, TheSameBytesAreStoredOnce) {
  absl::StatusOr<std::string> first = store_->Put(kPng, "image/png");
  ASSERT_TRUE(first.ok()) << first.status();
  const ino_t inode = Inode(store_->PathOf(*first));
  absl::StatusOr<std::string> second = store_->Put(kPng, "image/png");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(Inode(store_->PathOf(*first)), inode);  // not written again
}

TEST_F(DirectoryStoreTest, ConcurrentPutsOfTheSameBytesAllSucceedAndLeaveOneCopy) {
  const std::string big = kPng + std::string(256 * 1024, 'x');
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (store_->Put(big, "image/png").ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  const std::string hex = Sha256Hex(big);
  EXPECT_EQ(ReadAll(store_->PathOf(hex)), big);
  int files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(dir_.Join("evidence/sha256/" + hex.substr(0, 2)))) {
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 2);
}

TEST_F(DirectoryStoreTest, UnknownAddressIsNotFound) {
  EXPECT_EQ(store_->Get(Sha256Hex("never stored")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DirectoryStoreTest, AnAddressThatIsNotSixtyFourLowerCaseHexNeverReachesTheDisk) {
  // A file the traversal would reach if the address were used as a path.
  WriteAll(dir_.Join("secret"), "%PDF-secret");
  for (const std::string& bad :
       {std::string("../../secret"), std::string("../secret"), std::string(""),
        Sha256Hex("x").substr(0, 63), Sha256Hex("x") + "0", absl::AsciiStrToUpper(Sha256Hex("x")),
        std::string(62, 'a') + "/."}) {
    EXPECT_EQ(store_->Get(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(DirectoryStoreTest, BytesThatNoLongerHashToTheirAddressAreDataLoss) {
  absl::StatusOr<std::string> hex = store_->Put(kPng, "image/png");
  ASSERT_TRUE(hex.ok()) << hex.status();
  ::chmod(store_->PathOf(*hex).c_str(), 0600);
  WriteAll(store_->PathOf(*hex), kPng + "tampered");
  EXPECT_EQ(store_->Get(*hex).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(DirectoryStoreTest, AWriteCutShortByACrashLeavesNothingVisibleAndPutCompletesIt) {
  // What a crash can leave: the type renamed into place and a temporary file of the bytes.
  const std::string hex = Sha256Hex(kPng);
  const std::string shard = dir_.Join("evidence/sha256/" + hex.substr(0, 2));
  ASSERT_TRUE(std::filesystem::create_directories(shard));
  WriteAll(shard + "/" + hex + ".type", "image/png");
  WriteAll(shard + "/" + hex + ".tmp.0123456789abcdef", kPng.substr(0, 3));
  EXPECT_EQ(store_->Get(hex).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::string> put = store_->Put(kPng, "image/png");
  ASSERT_TRUE(put.ok()) << put.status();
  absl::StatusOr<BlobStore::Blob> blob = store_->Get(hex);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(blob->bytes, kPng);
}

TEST_F(DirectoryStoreTest, BytesWithoutTheirTypeAreDataLoss) {
  absl::StatusOr<std::string> hex = store_->Put(kPng, "image/png");
  ASSERT_TRUE(hex.ok()) << hex.status();
  ASSERT_TRUE(std::filesystem::remove(store_->PathOf(*hex) + ".type"));
  EXPECT_EQ(store_->Get(*hex).status().code(), absl::StatusCode::kDataLoss);
}

TEST(DirectoryStoreOpen, CreatesMissingParentsAndRefusesARootThatIsAFile) {
  testing::TempDir dir("evidence-open");
  auto nested = DirectoryBlobStore::Open(dir.Join("a/b/evidence/"));
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_TRUE(std::filesystem::is_directory(dir.Join("a/b/evidence/sha256")));
  WriteAll(dir.Join("file"), "x");
  EXPECT_EQ(DirectoryBlobStore::Open(dir.Join("file")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(DirectoryBlobStore::Open("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace firegrid::gateway::evidence
