// The benchmarks' check that h2load's calls were answered: a failed gRPC call is an HTTP 200
// too, so only the response bytes prove each call carried its message.
#include "bench/h2load.h"

#include <string>

#include "gtest/gtest.h"

namespace firegrid::bench {
namespace {

// h2load 1.x's summary of 1000 requests, each answered with `data_bytes` bytes of DATA in all.
std::string Output(long succeeded, long status_2xx, long data_bytes) {
  return "starting benchmark...\n"
         "finished in 1.25s, 800.00 req/s, 95.47KB/s\n"
         "requests: 1000 total, 1000 started, 1000 done, " +
         std::to_string(succeeded) + " succeeded, " + std::to_string(1000 - succeeded) +
         " failed, 0 errored, 0 timeout\n"
         "status codes: " +
         std::to_string(status_2xx) +
         " 2xx, 0 3xx, 0 4xx, 0 5xx\n"
         "traffic: 40.23KB (41200) total, 2.96KB (3030) headers (space savings 96.26%), "
         "6.84KB (" +
         std::to_string(data_bytes) +
         ") data\n"
         "                     min         max         mean         sd        +/- sd\n"
         "time for request:      210us     45.63ms      3.38ms      2.82ms    92.51%\n";
}

TEST(ParseH2loadOutput, ReadsTheRateMeanLatencyCountsAndDataBytes) {
  auto r = ParseH2loadOutput(Output(1000, 1000, 7000), 1000);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->seconds, 1.25);
  EXPECT_DOUBLE_EQ(r->rps, 800.0);
  EXPECT_DOUBLE_EQ(r->mean_latency_ms, 3.38);
  EXPECT_EQ(r->succeeded, 1000);
  EXPECT_EQ(r->status_2xx, 1000);
  EXPECT_EQ(r->data_bytes, 7000);
  EXPECT_NE(r->summary.find("finished in 1.25s"), std::string::npos);
}

TEST(ParseH2loadOutput, EveryCallAnsweredOnlyWithOneMessageOfTheSizePerRequest) {
  // 1000 framed HealthCheckResponses of 7 bytes each.
  EXPECT_TRUE(ParseH2loadOutput(Output(1000, 1000, 7000), 1000)->AllAnswered(7));
  // One call failed in gRPC: HTTP 200, grpc-status in the trailers, no message.
  EXPECT_FALSE(ParseH2loadOutput(Output(1000, 1000, 6993), 1000)->AllAnswered(7));
  // Another size than expected (another message).
  EXPECT_FALSE(ParseH2loadOutput(Output(1000, 1000, 8000), 1000)->AllAnswered(7));
  // A request h2load counts as failed.
  EXPECT_FALSE(ParseH2loadOutput(Output(999, 999, 6993), 1000)->AllAnswered(7));
}

TEST(ParseH2loadOutput, UnreadableOutputIsAnErrorNamingWhatIsMissing) {
  EXPECT_FALSE(ParseH2loadOutput("connection refused\n", 1000).ok());
  std::string text = Output(1000, 1000, 7000);
  text.erase(text.find("status codes:"));
  auto r = ParseH2loadOutput(text, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("2xx"), std::string::npos) << r.status();
}

TEST(PrintFigure, WritesOneTabSeparatedLineForRunSh) {
  ::testing::internal::CaptureStdout();
  PrintFigure("GetBuilding throughput", "0.54", "x health", ">= 0.50", "health 21809 req/s");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(),
            "FIGURE\tGetBuilding throughput\t0.54\tx health\t>= 0.50\thealth 21809 req/s\n");
}

}  // namespace
}  // namespace firegrid::bench
