# Debian packages with CPack (make package): libcotel0 (the shared library)
# and libcotel-dev (headers, libcotel.a, cotel.pc, the CMake package).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cotel)
set(CPACK_PACKAGE_VENDOR "cotel")
set(CPACK_PACKAGE_CONTACT "cotel developers <cotel@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "OpenTelemetry-compatible distributed tracing SDK for C")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libcotel${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libcotel-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The headers include <uv.h>; the static library needs the -dev packages
# of what it links.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libcotel${PROJECT_VERSION_MAJOR} (= ${PROJECT_VERSION}), libuv1-dev, libcurl4-openssl-dev | libcurl-dev, zlib1g-dev, libprotobuf-c-dev, pkg-config")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "cotel tracing SDK for C: the shared library")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "cotel tracing SDK for C: headers, static library, pkg-config and CMake files")
include(CPack)
