/* The one declared window tests have into libcotel's internals: every
 * internal header (a component's internal/ directory, never installed) a test
 * may use, so that what the tests rely on beyond the public API is listed in
 * one place. Everything else a test uses is public (cotel/cotel.h). */
#ifndef COTEL_TEST_INTERNAL_H
#define COTEL_TEST_INTERNAL_H

#include "cotel/internal/clock.h"           /* the TSC clock (test_clock) */
#include "cotel/internal/console_format.h"  /* durations (test_console) */
#include "cotel/internal/http.h"            /* the one HTTP client */
#include "cotel/internal/otlp_encode.h"     /* OTLP encoders, byte buffer */
#include "cotel/internal/otlp_grpc.h"       /* gRPC framing and status */
#include "cotel/internal/otlp_retry.h"      /* retry policy */
#include "cotel/internal/pool.h"            /* record pool trimming */
#include "cotel/internal/resource_detect.h" /* detectors on recorded files */
#include "cotel/internal/utf8.h"            /* UTF-8 repair */

#endif
