// A continuous run of the eqlc tool (--state, --follow, --alerts, --idle-exit, nats:// input): the rules run by a
// service::Worker over file or NATS sources, alerts to standard output, a file or a NATS subject, checkpoints to
// the --state location.
#pragma once

#include "eqlc/query.hpp"
#include "options.hpp"

namespace eqlc::cli {

// The exit status: 0 no alert in this run, 1 alerts, 2 a usage, rule, state, input or output problem, 128 + the
// signal when stopped by SIGINT/SIGTERM (after the checkpoint).
int run_service(const Options& options, const eqlc::QueryOptions& query_options);

}  // namespace eqlc::cli
