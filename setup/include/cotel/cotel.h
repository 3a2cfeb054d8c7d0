/** @file
 * cotel: the umbrella header, everything a traced program needs but the
 * libuv helpers: include cotel/uv.h for those (it pulls in <uv.h>, which
 * needs POSIX feature macros under a strict -std=c11). */
#ifndef COTEL_H
#define COTEL_H
#include "cotel/common.h"
#include "cotel/trace.h"
#include "cotel/context.h"
#include "cotel/span_data.h"
#include "cotel/exporter.h"
#include "cotel/processor.h"
#include "cotel/sampler.h"
#include "cotel/provider.h"
#include "cotel/tracestate.h"
#include "cotel/baggage.h"
#include "cotel/env.h"
#include "cotel/propagation.h"
#include "cotel/console.h"
#include "cotel/memory.h"
#include "cotel/otlp.h"
#include "cotel/semconv.h"
#include "cotel/log.h"
#include "cotel/otlp_file.h"
#include "cotel/setup.h"
#endif
