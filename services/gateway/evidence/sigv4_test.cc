// The signer against the worked examples of the S3 documentation, "Signature Calculations for
// the Authorization Header: Transferring Payload in a Single Chunk (AWS Signature Version 4)":
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
#include "services/gateway/evidence/sigv4.h"

#include "gtest/gtest.h"
#include "services/gateway/evidence/hashing.h"

namespace firegrid::gateway::evidence {
namespace {

constexpr char kKeyId[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kDate[] = "20130524T000000Z";
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(SigV4, AmzDateIsCompactUtc) {
  EXPECT_EQ(AmzDate(absl::FromUnixSeconds(1369353600)), kDate);  // 2013-05-24T00:00:00Z
}

TEST(SigV4, GetObjectExampleOfTheS3Documentation) {
  SigV4Request r;
  r.method = "GET";
  r.canonical_uri = UriEncodePath("/test.txt");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", kDate}};
  r.payload_sha256_hex = Sha256Hex("");
  ASSERT_EQ(r.payload_sha256_hex, kEmptySha);
  EXPECT_EQ(CanonicalRequest(r),
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(kDate, "us-east-1", "s3", CanonicalRequest(r)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(AuthorizationHeader(kKeyId, kSecret, "us-east-1", "s3", kDate, r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectExampleOfTheS3DocumentationEncodesTheKeyAndSignsThePayload) {
  const std::string body = "Welcome to Amazon S3.";
  SigV4Request r;
  r.method = "PUT";
  r.canonical_uri = UriEncodePath("/test$file.text");
  r.payload_sha256_hex = Sha256Hex(body);
  ASSERT_EQ(r.payload_sha256_hex,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", kDate},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_sha256_hex}};
  EXPECT_EQ(r.canonical_uri, "/test%24file.text");
  EXPECT_EQ(StringToSign(kDate, "us-east-1", "s3", CanonicalRequest(r)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(AuthorizationHeader(kKeyId, kSecret, "us-east-1", "s3", kDate, r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, ListObjectsExampleOfTheS3DocumentationSignsTheQuery) {
  SigV4Request r;
  r.method = "GET";
  r.canonical_uri = "/";
  r.canonical_query = "max-keys=2&prefix=J";
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", kDate}};
  r.payload_sha256_hex = kEmptySha;
  EXPECT_EQ(Signature(kSecret, kDate, "us-east-1", "s3",
                      StringToSign(kDate, "us-east-1", "s3", CanonicalRequest(r))),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, HeaderValuesAreTrimmedAndInnerSpacesCollapsed) {
  SigV4Request a;
  a.method = "GET";
  a.canonical_uri = "/";
  a.headers = {{"X-Custom", "  a   b  "}};
  SigV4Request b = a;
  b.headers = {{"x-custom", "a b"}};
  EXPECT_EQ(CanonicalRequest(a), CanonicalRequest(b));
}

TEST(SigV4, PathEncodingKeepsSlashesAndUnreservedBytesOnly) {
  EXPECT_EQ(UriEncodePath("/bucket/ev/sha256/ab/ab12-_.~"), "/bucket/ev/sha256/ab/ab12-_.~");
  EXPECT_EQ(UriEncodePath("/a b+c=%"), "/a%20b%2Bc%3D%25");
  EXPECT_EQ(UriEncodePath("/\xE4\xBA\xA4"), "/%E4%BA%A4");
}

}  // namespace
}  // namespace firegrid::gateway::evidence
