#pragma once

#include "grpcpp/support/server_interceptor.h"
#include "libs/audit/recorder.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"

namespace firegrid::audit {

// Audits every state-changing call of a gRPC server, for every service alike: after the handler
// has answered, it records the method, the caller (its verified bearer token), the object the
// call addressed or created (ObjectIdOf over the request and the response), the status code
// the client gets and the call's trace id. Reads (IsMutation) and callers that did not
// authenticate are not recorded (failed authentications are logged and throttled instead), nor
// are calls an overloaded server refused before looking at their token (`admission`, when
// given: libs/server/admission.h; a record would cost the Redis write that refusing saves).
//
// The token is verified again here rather than handed over by the handler: the handler cannot
// reach the interceptor, and a verification costs microseconds against a Redis write. Register it
// after the interceptors that may rewrite the status, so that the record holds the final code.
class AuditInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  AuditInterceptorFactory(Recorder* recorder, const auth::TokenVerifier* verifier, Clock* clock,
                          auth::Admission* admission = nullptr)
      : recorder_(recorder), verifier_(verifier), clock_(clock), admission_(admission) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Recorder* recorder_;
  const auth::TokenVerifier* verifier_;
  Clock* clock_;
  auth::Admission* admission_;
};

}  // namespace firegrid::audit
