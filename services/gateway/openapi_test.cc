#include "services/gateway/openapi.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(OpenApiTest, TheCommittedFileIsWhatTheDescriptorsGenerate) {
  std::ifstream in(FIREGRID_GATEWAY_OPENAPI);
  ASSERT_TRUE(in) << FIREGRID_GATEWAY_OPENAPI;
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(ss.str() == OpenApiYaml())
      << "services/gateway/openapi.yaml is stale: regenerate it with\n"
         "  build/services/gateway/firegrid-gateway --print-openapi > "
         "services/gateway/openapi.yaml";
}

TEST(OpenApiTest, ListsExposedMethodsAndTheirMessagesButNoInternalOnes) {
  const std::string doc = OpenApiYaml();
  EXPECT_THAT(doc, HasSubstr("  /api/v1/firegrid.hazards.v1.HazardService/VerifyHazard:\n"));
  EXPECT_THAT(doc, HasSubstr("    firegrid.hazards.v1.Hazard:\n"));
  EXPECT_THAT(doc, HasSubstr("        hazardId: {type: string}\n"));
  EXPECT_THAT(doc, HasSubstr("  /api/v1/events:\n"));
  EXPECT_THAT(doc, Not(HasSubstr("PushEvent:")));
  EXPECT_THAT(doc, Not(HasSubstr("AccountsService/SignIn:")));
  EXPECT_THAT(doc, Not(HasSubstr("NotifyService/Subscribe:")));
}

}  // namespace
}  // namespace firegrid::gateway
