# OTLP exporter component (included by exporters/CMakeLists.txt).
#
# Our own .proto files (exporters/otlp/proto, written from the OTLP spec) are
# compiled with protoc-c at build time into <build>/otlp_gen. The generated
# code is the test oracle and decodes the collector's response; it is
# compiled into libcotel once, with hidden visibility (never exported).
set(COTEL_OTLP_DIR ${CMAKE_CURRENT_LIST_DIR})
set(COTEL_OTLP_PROTO_DIR ${COTEL_OTLP_DIR}/proto)
set(COTEL_OTLP_GEN_DIR ${PROJECT_BINARY_DIR}/otlp_gen CACHE INTERNAL "")

find_program(PROTOC_C protoc-c REQUIRED)

set(_otlp_protos
    opentelemetry/proto/common/v1/common
    opentelemetry/proto/resource/v1/resource
    opentelemetry/proto/trace/v1/trace
    opentelemetry/proto/collector/trace/v1/trace_service
    cotel/grpc/status)

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

file(GLOB_RECURSE _otlp_srcs CONFIGURE_DEPENDS ${COTEL_OTLP_DIR}/src/*.c)
cotel_component(cotel_exporter_otlp ${COTEL_OTLP_DIR}
                SOURCES ${_otlp_srcs} ${_otlp_gen_c}
                LINK cotel_sdk cotel_http
                PRIVATE_LINK PkgConfig::PROTOBUFC PkgConfig::CURL)
add_dependencies(cotel_exporter_otlp cotel_otlp_gen)
target_include_directories(cotel_exporter_otlp PRIVATE ${COTEL_OTLP_GEN_DIR})
