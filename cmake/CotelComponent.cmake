# cotel_component(NAME DIR [LINK dep...] [PRIVATE_LINK dep...] [SOURCES src...])
#
# One component of libcotel: an OBJECT library of DIR/src/**.c (or SOURCES),
# compiled with hidden visibility. DIR/include is its public header
# directory (installed), DIR/internal its internal one (shared with the
# components above it and with in-tree tests, never installed), DIR/src its
# private one. LINK names the components (and packages) below it.
set(COTEL_COMPONENTS "" CACHE INTERNAL "")
function(cotel_component name dir)
  cmake_parse_arguments(A "" "" "LINK;PRIVATE_LINK;SOURCES" ${ARGN})
  if(A_SOURCES)
    set(srcs ${A_SOURCES})
  else()
    file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/src/*.c)
  endif()
  add_library(${name} OBJECT ${srcs})
  set_target_properties(${name} PROPERTIES
    C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${name} PRIVATE ${COTEL_WARNINGS})
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE)
  if(EXISTS ${dir}/include)
    target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${dir}/include>)
    set_target_properties(${name} PROPERTIES COTEL_PUBLIC_INCLUDE ${dir}/include)
  endif()
  if(EXISTS ${dir}/internal)
    target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${dir}/internal>)
    set_target_properties(${name} PROPERTIES COTEL_INTERNAL_INCLUDE ${dir}/internal)
  endif()
  if(EXISTS ${dir}/src)
    target_include_directories(${name} PRIVATE ${dir}/src)
  endif()
  if(A_LINK)
    target_link_libraries(${name} PUBLIC ${A_LINK})
  endif()
  if(A_PRIVATE_LINK)
    target_link_libraries(${name} PRIVATE ${A_PRIVATE_LINK})
  endif()
  set(COTEL_COMPONENTS ${COTEL_COMPONENTS} ${name} CACHE INTERNAL "")
endfunction()
