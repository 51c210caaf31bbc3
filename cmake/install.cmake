# What `cmake --install` puts where: libvfiokit, its headers, the CMake package
# (find_package(vfiokit) -> vfiokit::vfiokit) and vfiokit.pc. The programs, the man
# page and the JSON schemas are installed by their own folders.
include(CMakePackageConfigHelpers)

install(TARGETS vfiokit_core EXPORT vfiokitTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# The public headers: include/vfiokit/ as it is in the tree (<vfiokit/vfio/device.hpp>),
# and the generated <vfiokit/version.hpp>. The private ones beside the sources are not installed.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vfiokit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/generated/vfiokit/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vfiokit COMPONENT dev)

set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/vfiokit)
install(EXPORT vfiokitTargets NAMESPACE vfiokit:: DESTINATION ${cmake_dir} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vfiokitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vfiokitConfig.cmake INSTALL_DESTINATION ${cmake_dir})
# 0.x: a minor version may change the API, so only the same minor version matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vfiokitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vfiokitConfig.cmake ${PROJECT_BINARY_DIR}/vfiokitConfigVersion.cmake
  DESTINATION ${cmake_dir} COMPONENT dev)

file(RELATIVE_PATH VFIOKIT_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" VFIOKIT_PC_TO_PREFIX "${VFIOKIT_PC_TO_PREFIX}")
# A shared libvfiokit brings fmt itself; a static one needs -lfmt on the program's link
# line, and `pkg-config --libs` (without --static) lists only Requires, not Requires.private.
if(BUILD_SHARED_LIBS)
  set(VFIOKIT_PC_REQUIRES Requires.private)
else()
  set(VFIOKIT_PC_REQUIRES Requires)
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/vfiokit.pc.in ${PROJECT_BINARY_DIR}/vfiokit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vfiokit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)
