# drover_flags: the warning and sanitizer flags of Drover's own code, as one interface target
# that every Drover target links privately. Third-party headers are included as SYSTEM.

add_library(drover_flags INTERFACE)
target_compile_options(drover_flags INTERFACE -Wall -Wextra -Wpedantic -Werror)
target_include_directories(drover_flags INTERFACE "${PROJECT_SOURCE_DIR}")

if(DROVER_SANITIZE)
  # Applied globally so that tests, benchmarks and the binary all share one ABI.
  # -O0 (after the build type's -O2, so it wins): the sanitizer pass runs short unit tests, and
  # the CAF-heavy code compiles in about half the time without optimization.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O0)
  add_link_options(-fsanitize=address,undefined)
endif()

# Declares one Drover library from every .cpp file of the calling folder and its detail/
# subfolder (one library per folder), with includes rooted at the repository. Imported targets' headers count as system
# headers, so -Werror applies to our code only.
function(drover_library name)
  cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp"
                                      "${CMAKE_CURRENT_SOURCE_DIR}/detail/*.cpp")
  add_library(${name} STATIC ${sources})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE drover_flags ${ARG_PRIVATE})
  target_include_directories(${name} PUBLIC "${PROJECT_SOURCE_DIR}")
endfunction()
