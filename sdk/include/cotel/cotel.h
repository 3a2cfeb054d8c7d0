/* cotel: umbrella header. */
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
#include "cotel/otlp.h"
#include "cotel/propagation.h"
#include "cotel/uv.h"
#endif
