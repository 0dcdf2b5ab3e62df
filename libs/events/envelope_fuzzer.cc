// Fuzzes the decoding of a Kafka message value into an event envelope (ParseEnvelope), as every
// consumer does before anything else: any input either decodes or is refused, and an envelope
// that decodes, encoded again, decodes to the same envelope. cmake/FiregridFuzz.cmake builds it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "libs/events/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto envelope = firegrid::events::ParseEnvelope(bytes);
  if (!envelope.ok()) return 0;
  auto again = firegrid::events::ParseEnvelope(envelope->SerializeAsString());
  if (!again.ok() || !google::protobuf::util::MessageDifferencer::Equals(*envelope, *again)) {
    std::fprintf(stderr, "envelope_fuzzer: a decoded envelope does not survive a round trip\n");
    std::abort();
  }
  return 0;
}
