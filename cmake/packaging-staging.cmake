# Run by cpack after it installed each package's files into its staging folder and
# before it packs them (CPACK_PRE_BUILD_SCRIPTS, set in cmake/packaging.cmake); does
# what Debian's dh_strip and dh_compress would. CPACK_STRIP_FILES strips the programs.
# Static libraries lose their debug information (libvfiokit.a: about 18 MB with it,
# under 1 MB without).
file(GLOB_RECURSE vfiokit_archives "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a")
foreach(archive IN LISTS vfiokit_archives)
  execute_process(COMMAND "${CPACK_VFIOKIT_STRIP}" --strip-debug --enable-deterministic-archives
                          "${archive}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "'${CPACK_VFIOKIT_STRIP} --strip-debug ${archive}' failed (${rc})")
  endif()
endforeach()
# Man pages are installed gzipped (man reads them either way).
file(GLOB_RECURSE vfiokit_man_pages "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.[1-9]")
list(FILTER vfiokit_man_pages INCLUDE REGEX "/share/man/man[1-9]/[^/]+$")
foreach(page IN LISTS vfiokit_man_pages)
  execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "'gzip -9nf ${page}' failed (${rc})")
  endif()
endforeach()
