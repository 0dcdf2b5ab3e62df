// The S3 store against a fake S3 on 127.0.0.1 (cpp-httplib server, port 0) that keeps objects
// by request path and checks every request's AWS Signature V4 the way S3 does: it rebuilds the
// canonical request from what arrived (the headers named in SignedHeaders, the raw path), signs
// it with the secret it knows and compares; the payload hash must be the body's.
#include "services/gateway/evidence/s3_store.h"

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "services/gateway/evidence/hashing.h"
#include "services/gateway/evidence/sigv4.h"
#include "tests/support/self_signed_certificate.h"
#include "tests/support/temp_dir.h"

namespace firegrid::gateway::evidence {
namespace {

constexpr char kKeyId[] = "AKIDEXAMPLEFIREGRID";
constexpr char kSecret[] = "fake-s3-secret/with+odd=chars";
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "jpeg body";
std::string kPng() { return std::string("\x89PNG\r\n\x1A\n", 8) + "png body"; }

// A self-signed certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) and its key, as PEM
// files in `dir`.
class FakeS3 {
 public:
  // Plain HTTP, or HTTPS with the given certificate and key files.
  explicit FakeS3(std::string secret, absl::Time now, const std::string& cert_path = "",
                  const std::string& key_path = "")
      : secret_(std::move(secret)),
        now_(now),
        server_(cert_path.empty()
                    ? std::make_unique<httplib::Server>()
                    : std::make_unique<httplib::SSLServer>(cert_path.c_str(), key_path.c_str())) {
    server_->Put(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu_);
      ++puts_;
      if (!Authorised(req, res)) return;
      objects_[req.target] = {req.body, req.get_header_value("Content-Type")};
      res.status = 200;
    });
    // Also HEAD: httplib answers it from the GET handler without the body.
    server_->Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu_);
      if (req.method == "HEAD") ++heads_;
      if (!Authorised(req, res)) return;
      auto it = objects_.find(req.target);
      if (it == objects_.end()) {
        res.status = 404;
        res.set_content("<Error><Code>NoSuchKey</Code></Error>", "application/xml");
        return;
      }
      res.status = 200;
      res.set_content(it->second.first, it->second.second.c_str());
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 500 && !server_->is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // poll: no ready callback
    }
  }
  ~FakeS3() {
    server_->stop();
    thread_.join();
  }

  int port() const { return port_; }
  void SetSecret(std::string secret) {
    std::lock_guard<std::mutex> l(mu_);
    secret_ = std::move(secret);
  }
  std::map<std::string, std::pair<std::string, std::string>> objects() {
    std::lock_guard<std::mutex> l(mu_);
    return objects_;
  }
  void Tamper(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    objects_[path].first += "!";
  }
  int puts() {
    std::lock_guard<std::mutex> l(mu_);
    return puts_;
  }
  int heads() {
    std::lock_guard<std::mutex> l(mu_);
    return heads_;
  }
  std::vector<std::string> refusals() {
    std::lock_guard<std::mutex> l(mu_);
    return refusals_;
  }

 private:
  // S3's check: rebuild the canonical request from the request as received.
  bool Authorised(const httplib::Request& req, httplib::Response& res) {
    auto refuse = [&](const std::string& why) {
      refusals_.push_back(why);
      res.status = 403;
      res.set_content("<Error><Code>SignatureDoesNotMatch</Code></Error>", "application/xml");
      return false;
    };
    const std::string auth = req.get_header_value("Authorization");
    absl::string_view rest = auth;
    if (!absl::ConsumePrefix(&rest, "AWS4-HMAC-SHA256 ")) return refuse("algorithm");
    std::map<std::string, std::string> parts;
    for (absl::string_view kv : absl::StrSplit(rest, ',')) {
      std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      parts[p.first] = p.second;
    }
    const std::string amz_date = req.get_header_value("x-amz-date");
    if (amz_date != AmzDate(now_)) return refuse("x-amz-date");
    if (parts["Credential"] !=
        absl::StrCat(kKeyId, "/", amz_date.substr(0, 8), "/eu-test-1/s3/aws4_request")) {
      return refuse("credential scope");
    }
    const std::string payload = req.get_header_value("x-amz-content-sha256");
    if (payload != Sha256Hex(req.body)) return refuse("payload hash");
    SigV4Request canonical;
    canonical.method = req.method;
    canonical.canonical_uri = req.target;  // raw, as sent (no query here)
    canonical.payload_sha256_hex = payload;
    std::vector<std::string> signed_names = absl::StrSplit(parts["SignedHeaders"], ';');
    for (const char* required : {"host", "x-amz-content-sha256", "x-amz-date"}) {
      if (std::find(signed_names.begin(), signed_names.end(), required) == signed_names.end()) {
        return refuse(absl::StrCat("unsigned ", required));
      }
    }
    for (const std::string& name : signed_names) {
      if (!req.has_header(name.c_str())) return refuse(absl::StrCat("missing ", name));
      canonical.headers.emplace_back(name, req.get_header_value(name.c_str()));
    }
    const std::string want =
        Signature(secret_, amz_date, "eu-test-1", "s3",
                  StringToSign(amz_date, "eu-test-1", "s3", CanonicalRequest(canonical)));
    if (parts["Signature"] != want) return refuse("signature");
    return true;
  }

  std::string secret_;
  absl::Time now_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> objects_;
  std::vector<std::string> refusals_;
  int puts_ = 0;
  int heads_ = 0;
};

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.Join("key_id")) << kKeyId << "\n";
    std::ofstream(dir_.Join("secret")) << "  " << kSecret << "\n";
  }
  config::v1::S3Store Config(int port) {
    config::v1::S3Store c;
    c.set_endpoint(absl::StrCat("http://127.0.0.1:", port));
    c.set_region("eu-test-1");
    c.set_bucket("firegrid-evidence");
    c.set_prefix("/district/500109/");
    c.set_path_style(true);
    c.set_access_key_id_file(dir_.Join("key_id"));
    c.set_secret_access_key_file(dir_.Join("secret"));
    return c;
  }
  std::unique_ptr<S3BlobStore> Store(const config::v1::S3Store& c) {
    auto store = S3BlobStore::Create(c, &clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  FakeClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  testing::TempDir dir_{"evidence-s3"};
};

TEST_F(S3StoreTest, PutAndGetGoToTheBucketAndPrefixPathSignedWithSigV4) {
  FakeS3 s3(kSecret, clock_.Now());
  auto store = Store(Config(s3.port()));
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::string> hex = store->Put(kJpeg, "image/jpeg");
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(*hex, Sha256Hex(kJpeg));
  const std::string path =
      absl::StrCat("/firegrid-evidence/district/500109/sha256/", hex->substr(0, 2), "/", *hex);
  auto objects = s3.objects();
  ASSERT_EQ(objects.size(), 1u);
  ASSERT_TRUE(objects.count(path)) << objects.begin()->first;
  EXPECT_EQ(objects[path].first, kJpeg);
  EXPECT_EQ(objects[path].second, "image/jpeg");

  absl::StatusOr<BlobStore::Blob> blob = store->Get(*hex);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(blob->bytes, kJpeg);
  EXPECT_EQ(blob->media_type, "image/jpeg");
  EXPECT_TRUE(s3.refusals().empty());
}

TEST_F(S3StoreTest, BytesAlreadyStoredAreNotSentAgain) {
  FakeS3 s3(kSecret, clock_.Now());
  auto store = Store(Config(s3.port()));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(kJpeg, "image/jpeg").ok());
  ASSERT_TRUE(store->Put(kJpeg, "image/jpeg").ok());
  EXPECT_EQ(s3.heads(), 2);
  EXPECT_EQ(s3.puts(), 1);
}

TEST_F(S3StoreTest, AStoreThatRefusesTheSignatureMakesPutAndGetUnavailable) {
  FakeS3 s3("another secret", clock_.Now());
  auto store = Store(Config(s3.port()));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Put(kJpeg, "image/jpeg").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store->Get(Sha256Hex(kJpeg)).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_FALSE(s3.refusals().empty());
  EXPECT_EQ(s3.refusals().front(), "signature");
  EXPECT_TRUE(s3.objects().empty());
}

TEST_F(S3StoreTest, UnknownObjectIsNotFoundAndBadAddressNeverLeaves) {
  FakeS3 s3(kSecret, clock_.Now());
  auto store = Store(Config(s3.port()));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Get(Sha256Hex("nothing")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Get("../../other-bucket/x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(S3StoreTest, AnObjectThatNoLongerHashesToItsKeyIsDataLoss) {
  FakeS3 s3(kSecret, clock_.Now());
  auto store = Store(Config(s3.port()));
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::string> hex = store->Put(kJpeg, "image/jpeg");
  ASSERT_TRUE(hex.ok()) << hex.status();
  s3.Tamper(store->location().ObjectPath(*hex));
  EXPECT_EQ(store->Get(*hex).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(S3StoreTest, AnUnreachableStoreIsUnavailable) {
  int port;
  {
    FakeS3 s3(kSecret, clock_.Now());
    port = s3.port();
  }  // stopped: nothing listens there now
  auto store = Store(Config(port));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Put(kJpeg, "image/jpeg").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(S3StoreTest, HttpsVerifiesTheStoresCertificate) {
  const std::string cert = dir_.Join("s3.crt");
  const std::string key = dir_.Join("s3.key");
  ASSERT_TRUE(firegrid::testing::WriteSelfSignedCertificate(cert, key).ok());
  FakeS3 s3(kSecret, clock_.Now(), cert, key);
  config::v1::S3Store c = Config(s3.port());
  c.set_endpoint(absl::StrCat("https://127.0.0.1:", s3.port()));
  // Trusting the store's certificate: the objects go over TLS.
  auto trusting = S3BlobStore::Create(c, &clock_, cert);
  ASSERT_TRUE(trusting.ok()) << trusting.status();
  absl::StatusOr<std::string> hex = (*trusting)->Put(kJpeg, "image/jpeg");
  ASSERT_TRUE(hex.ok()) << hex.status();
  absl::StatusOr<BlobStore::Blob> blob = (*trusting)->Get(*hex);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(blob->bytes, kJpeg);
  // With the system's CA store the self-signed certificate is refused before anything is sent.
  const int puts_before = s3.puts();
  auto system_ca = S3BlobStore::Create(c, &clock_);
  ASSERT_TRUE(system_ca.ok()) << system_ca.status();
  EXPECT_EQ((*system_ca)->Put(kPng(), "image/png").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s3.puts(), puts_before);
}

TEST_F(S3StoreTest, ARotatedSecretFileIsReadAgainAndAVanishedOneKeepsTheLastKey) {
  FakeS3 s3(kSecret, clock_.Now());
  auto store = Store(Config(s3.port()));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(kJpeg, "image/jpeg").ok());
  // Rotated as a Secret volume does it: a new file swapped in under the name.
  s3.SetSecret("rotated-secret");
  std::ofstream(dir_.Join("secret.new")) << "rotated-secret\n";
  ASSERT_EQ(std::rename(dir_.Join("secret.new").c_str(), dir_.Join("secret").c_str()), 0);
  absl::StatusOr<std::string> after = store->Put(kPng(), "image/png");
  EXPECT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(std::remove(dir_.Join("secret").c_str()), 0);
  absl::StatusOr<BlobStore::Blob> blob = store->Get(Sha256Hex(kPng()));
  EXPECT_TRUE(blob.ok()) << blob.status();
  EXPECT_TRUE(s3.refusals().empty());
}

TEST_F(S3StoreTest, KeyFilesMustBeReadableAndNotEmpty) {
  config::v1::S3Store c = Config(9);
  c.set_access_key_id_file(dir_.Join("missing"));
  absl::StatusOr<std::unique_ptr<S3BlobStore>> s = S3BlobStore::Create(c, &clock_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.status().message(), "evidence.s3.access_key_id_file:"))
      << s.status();
  std::ofstream(dir_.Join("empty")) << "\n";
  c = Config(9);
  c.set_secret_access_key_file(dir_.Join("empty"));
  s = S3BlobStore::Create(c, &clock_);
  EXPECT_TRUE(absl::StartsWith(s.status().message(), "evidence.s3.secret_access_key_file:"))
      << s.status();
}

TEST(S3Location, VirtualHostedStyleNamesTheBucketInTheHost) {
  config::v1::S3Store c;
  c.set_endpoint("https://s3.eu-test-1.example.com");
  c.set_region("eu-test-1");
  c.set_bucket("evidence");
  absl::StatusOr<S3Location> loc = ParseS3Location(c);
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_TRUE(loc->https);
  EXPECT_EQ(loc->port, 443);
  const std::string hex(64, 'a');
  EXPECT_EQ(loc->ConnectHost(), "evidence.s3.eu-test-1.example.com");
  EXPECT_EQ(loc->HostHeader(), "evidence.s3.eu-test-1.example.com");
  EXPECT_EQ(loc->ObjectPath(hex), "/sha256/aa/" + hex);
}

TEST(S3Location, PathStyleKeepsTheHostAndNamesTheBucketInThePath) {
  config::v1::S3Store c;
  c.set_endpoint("https://minio.internal:9000/");
  c.set_region("us-east-1");
  c.set_bucket("evidence");
  c.set_prefix("fg");
  c.set_path_style(true);
  absl::StatusOr<S3Location> loc = ParseS3Location(c);
  ASSERT_TRUE(loc.ok()) << loc.status();
  const std::string hex(64, 'b');
  EXPECT_EQ(loc->ConnectHost(), "minio.internal");
  EXPECT_EQ(loc->HostHeader(), "minio.internal:9000");
  EXPECT_EQ(loc->ObjectPath(hex), "/evidence/fg/sha256/bb/" + hex);
}

struct BadEndpoint {
  std::string name;
  std::string endpoint;
};

void PrintTo(const BadEndpoint& e, std::ostream* os) { *os << e.name << " (" << e.endpoint << ")"; }

class S3BadConfigTest : public ::testing::TestWithParam<BadEndpoint> {};

TEST_P(S3BadConfigTest, IsRefusedBeforeAnyConnection) {
  config::v1::S3Store c;
  c.set_endpoint(GetParam().endpoint);
  c.set_region("us-east-1");
  c.set_bucket("evidence");
  absl::StatusOr<S3Location> loc = ParseS3Location(c);
  EXPECT_EQ(loc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(loc.status().message(), "evidence.s3.endpoint:")) << loc.status();
}

INSTANTIATE_TEST_SUITE_P(
    Endpoints, S3BadConfigTest,
    ::testing::Values(BadEndpoint{"PlainHttpToAPrivateAddress", "http://10.0.0.5:9000"},
                      BadEndpoint{"PlainHttpToAName", "http://minio.internal"},
                      BadEndpoint{"NoScheme", "s3.example.com"},
                      BadEndpoint{"WithAPath", "https://s3.example.com/bucket"},
                      BadEndpoint{"WithUserInfo", "https://user@s3.example.com"},
                      BadEndpoint{"BadPort", "https://s3.example.com:99999"},
                      BadEndpoint{"EmptyHost", "https://"}),
    [](const ::testing::TestParamInfo<BadEndpoint>& info) { return info.param.name; });

TEST(S3Location, RefusesBadRegionBucketAndPrefix) {
  config::v1::S3Store c;
  c.set_endpoint("https://s3.example.com");
  c.set_region("us-east-1");
  c.set_bucket("Evidence_Bucket");
  EXPECT_TRUE(absl::StartsWith(ParseS3Location(c).status().message(), "evidence.s3.bucket:"));
  c.set_bucket("evidence");
  c.set_region("");
  EXPECT_TRUE(absl::StartsWith(ParseS3Location(c).status().message(), "evidence.s3.region:"));
  c.set_region("us-east-1");
  c.set_prefix("a/../b");
  EXPECT_TRUE(absl::StartsWith(ParseS3Location(c).status().message(), "evidence.s3.prefix:"));
}

}  // namespace
}  // namespace firegrid::gateway::evidence
