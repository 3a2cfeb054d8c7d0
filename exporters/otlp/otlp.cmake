# OTLP exporter, included by the top-level CMakeLists.txt.
#
# Our own .proto files (exporters/otlp/proto, written from the OTLP spec) are
# compiled with protoc-c at build time into <build>/otlp_gen. The generated
# code is the test oracle and decodes the collector's response.
#
# Targets:
#   cotel_otlp_gen  custom target: runs protoc-c.
#   cotel_otlp      OBJECT library: exporters/otlp/src/*.c plus the generated
#                   .pb-c.c files; the top-level file puts its objects into
#                   libcotel (static and shared), so the generated code is
#                   compiled exactly once and lives in libcotel.
#   cotel_otlp_pb   INTERFACE library: the generated headers' include dir,
#                   exporters/otlp/src (otlp_encode.h, for tests and benches)
#                   and libprotobuf-c. It carries no objects (they are in
#                   libcotel already), so linking it next to cotel never
#                   duplicates a symbol.

set(COTEL_OTLP_DIR ${CMAKE_CURRENT_LIST_DIR})
set(COTEL_OTLP_PROTO_DIR ${COTEL_OTLP_DIR}/proto)
set(COTEL_OTLP_GEN_DIR ${CMAKE_BINARY_DIR}/otlp_gen)

find_program(PROTOC_C protoc-c REQUIRED)

set(_otlp_protos
    opentelemetry/proto/common/v1/common
    opentelemetry/proto/resource/v1/resource
    opentelemetry/proto/trace/v1/trace
    opentelemetry/proto/collector/trace/v1/trace_service)

set(_otlp_proto_files "")
set(_otlp_gen_c "")
set(_otlp_gen_h "")
foreach(p ${_otlp_protos})
  list(APPEND _otlp_proto_files ${COTEL_OTLP_PROTO_DIR}/${p}.proto)
  list(APPEND _otlp_gen_c ${COTEL_OTLP_GEN_DIR}/${p}.pb-c.c)
  list(APPEND _otlp_gen_h ${COTEL_OTLP_GEN_DIR}/${p}.pb-c.h)
endforeach()

add_custom_command(
  OUTPUT ${_otlp_gen_c} ${_otlp_gen_h}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${COTEL_OTLP_GEN_DIR}
  COMMAND ${PROTOC_C} --c_out=${COTEL_OTLP_GEN_DIR} -I${COTEL_OTLP_PROTO_DIR}
          ${_otlp_proto_files}
  DEPENDS ${_otlp_proto_files}
  COMMENT "protoc-c: generating OTLP trace messages"
  VERBATIM)
add_custom_target(cotel_otlp_gen DEPENDS ${_otlp_gen_c} ${_otlp_gen_h})

file(GLOB _otlp_srcs CONFIGURE_DEPENDS ${COTEL_OTLP_DIR}/src/*.c)
add_library(cotel_otlp OBJECT ${_otlp_srcs} ${_otlp_gen_c})
add_dependencies(cotel_otlp cotel_otlp_gen)
target_include_directories(cotel_otlp PUBLIC ${COTEL_INCLUDE_DIRS}
                           ${COTEL_OTLP_DIR}/src ${COTEL_OTLP_GEN_DIR})
target_link_libraries(cotel_otlp PUBLIC PkgConfig::PROTOBUFC PkgConfig::CURL
                      PkgConfig::ZLIB PkgConfig::UV Threads::Threads)
add_library(cotel_otlp_pb INTERFACE)
add_dependencies(cotel_otlp_pb cotel_otlp_gen)
target_include_directories(cotel_otlp_pb INTERFACE ${COTEL_OTLP_GEN_DIR}
                           ${COTEL_OTLP_DIR}/src)
target_link_libraries(cotel_otlp_pb INTERFACE PkgConfig::PROTOBUFC)
