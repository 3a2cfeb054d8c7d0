# Install rules: headers under include/cotel/, libcotel.so.* with its links,
# libcotel.a, cotel.pc and the CMake package (cotel::cotel, the shared
# library, and cotel::cotel_static).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

foreach(c ${COTEL_COMPONENTS})
  get_target_property(_inc ${c} COTEL_PUBLIC_INCLUDE)
  if(_inc)
    install(DIRECTORY ${_inc}/cotel DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
            COMPONENT dev FILES_MATCHING PATTERN "*.h")
  endif()
endforeach()

install(TARGETS cotel_shared EXPORT cotelTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime
                NAMELINK_COMPONENT dev)
install(TARGETS cotel EXPORT cotelTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(EXPORT cotelTargets NAMESPACE cotel::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cotel COMPONENT dev)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/cotelConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cotelConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cotel)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/cotelConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cotelConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/cotelConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cotel COMPONENT dev)

# pkg-config: -lcotel for the shared library; the static link needs the
# Requires.private and Libs.private too (pkg-config --static).
# cotel.pc lives in <libdir>/pkgconfig: the prefix is that many levels up.
file(RELATIVE_PATH COTEL_PC_UP "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig"
     "/prefix")
configure_file(${CMAKE_CURRENT_LIST_DIR}/cotel.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/cotel.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cotel.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

if(COTEL_TOP_LEVEL)
  include(${CMAKE_CURRENT_LIST_DIR}/CotelPackage.cmake)
endif()
