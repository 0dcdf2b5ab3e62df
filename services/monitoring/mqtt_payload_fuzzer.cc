// Fuzzes the decoding of MQTT messages from devices and gateways (DecodeMqttMessage), which
// reads whatever any device on the broker publishes. The input is the topic, a newline, then
// the payload. A message either decodes or is dropped with a reason; a decoded one names its
// source. cmake/FiregridFuzz.cmake builds it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "services/monitoring/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view topic = input.substr(0, newline);
  const absl::string_view payload =
      newline == absl::string_view::npos ? absl::string_view() : input.substr(newline + 1);
  const firegrid::monitoring::DecodedMessage m =
      firegrid::monitoring::DecodeMqttMessage(topic, payload);
  if (m.error.empty() && m.source.id.empty()) {
    std::fprintf(stderr, "mqtt_payload_fuzzer: a message decoded without a source\n");
    std::abort();
  }
  return 0;
}
