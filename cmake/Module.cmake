# xgrad_add_module(<name> DEPENDS <targets...>): the library target xgrad_<name> (alias
# xgrad::<name>) from <name>/src/*.cpp with public headers in <name>/include.
function(xgrad_add_module name)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  set(dir ${PROJECT_SOURCE_DIR}/${name})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/src/*.cpp)
  add_library(xgrad_${name} ${sources})
  add_library(xgrad::${name} ALIAS xgrad_${name})
  set_target_properties(xgrad_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME xgrad_${name}
                                                 POSITION_INDEPENDENT_CODE ON)
  target_compile_features(xgrad_${name} PUBLIC cxx_std_20)
  target_include_directories(xgrad_${name}
    PUBLIC $<BUILD_INTERFACE:${dir}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${dir}/src)
  target_link_libraries(xgrad_${name} PUBLIC ${ARG_DEPENDS})
  target_compile_options(xgrad_${name} PRIVATE ${XGRAD_WARNINGS})
endfunction()
