# Run by cpack after it installed each package's files into its staging folder and
# before it packs them (CPACK_PRE_BUILD_SCRIPTS, set in cmake/packaging.cmake): strips
# the debug information from static libraries as Debian's dh_strip does (libvfiokit.a
# is about 18 MB with it, under 1 MB without). CPACK_STRIP_FILES strips the programs.
file(GLOB_RECURSE vfiokit_archives "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a")
foreach(archive IN LISTS vfiokit_archives)
  execute_process(COMMAND "${CPACK_VFIOKIT_STRIP}" --strip-debug --enable-deterministic-archives
                          "${archive}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "'${CPACK_VFIOKIT_STRIP} --strip-debug ${archive}' failed (${rc})")
  endif()
endforeach()
