# Run by cpack before it packages (CPACK_PROJECT_CONFIG_FILE, set in
# cmake/packaging.cmake): the Debian packages are defined for one kind of build, and
# any other would give packages with wrong paths or missing files, so refuse it.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(vfiokit_wrong "")
  if(CPACK_VFIOKIT_SHARED)
    string(APPEND vfiokit_wrong " -DBUILD_SHARED_LIBS=OFF (the packages hold a static libvfiokit)")
  endif()
  if(NOT CPACK_VFIOKIT_INSTALL_PREFIX STREQUAL "/usr")
    string(APPEND vfiokit_wrong " -DCMAKE_INSTALL_PREFIX=/usr (is ${CPACK_VFIOKIT_INSTALL_PREFIX};"
      " the library folder must be Debian's multiarch one)")
  endif()
  if(NOT CPACK_VFIOKIT_TOOLS OR NOT CPACK_VFIOKIT_GUEST_TESTS)
    string(APPEND vfiokit_wrong " -DVFIOKIT_BUILD_TOOLS=ON -DVFIOKIT_BUILD_GUEST_TESTS=ON"
      " (the vfiokit package holds both programs)")
  endif()
  if(vfiokit_wrong)
    message(FATAL_ERROR "vfiokit: this build folder cannot make the Debian packages; "
      "reconfigure it with${vfiokit_wrong}, or run ci/check-deb, which does")
  endif()
endif()
