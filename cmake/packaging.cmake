# Debian packages with CPack (`cpack -G DEB` in a build folder; ci/check-deb does it
# and installs them on a fresh Debian 12 root):
#   vfiokit          component `tool`: vfiokit, vfiokit-guest-check, the man page,
#                    the JSON schemas; libvfiokit linked in statically
#   libvfiokit-dev   component `dev`: libvfiokit.a, the public headers, the CMake
#                    package and vfiokit.pc
# The packages are built from a static libvfiokit (BUILD_SHARED_LIBS=OFF) installed
# under /usr (CMAKE_INSTALL_PREFIX=/usr, so the library lands in Debian's multiarch
# folder); cpack refuses any other build (cmake/packaging-check.cmake).
# Included last by CMakeLists.txt, after every install() rule.

# Every install() rule must name a component this file packages: one without would
# land in "Unspecified" and silently in no package.
get_cmake_property(vfiokit_components COMPONENTS)
list(REMOVE_ITEM vfiokit_components tool dev lib)
if(vfiokit_components)
  message(FATAL_ERROR "install() rules with component(s) '${vfiokit_components}', which "
    "cmake/packaging.cmake puts in no Debian package: give them COMPONENT tool (vfiokit) "
    "or dev (libvfiokit-dev), or map the new component there")
endif()

set(VFIOKIT_DEB_MAINTAINER
    "vfiokit maintainers <maintainers@users.noreply.r-seed-a94f6d4f.example>"
    CACHE STRING "Maintainer field of the Debian packages")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vfiokit)
set(CPACK_PACKAGE_VENDOR vfiokit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "userspace VFIO driver toolkit")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)                           # the programs
set(CPACK_VFIOKIT_STRIP "${CMAKE_STRIP}")
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/packaging-staging.cmake)  # .a, man pages
# The build folder's settings, for the check cpack runs before packaging.
set(CPACK_VFIOKIT_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_VFIOKIT_SHARED "${BUILD_SHARED_LIBS}")
set(CPACK_VFIOKIT_TOOLS "${VFIOKIT_BUILD_TOOLS}")
set(CPACK_VFIOKIT_GUEST_TESTS "${VFIOKIT_BUILD_GUEST_TESTS}")
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/packaging-check.cmake)

# One package per component; `lib` (libvfiokit.so, shared builds only) is refused by
# the check, so only these two are packaged.
set(CPACK_COMPONENTS_ALL tool dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # vfiokit_0.2.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${VFIOKIT_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# CPACK_DEBIAN_PACKAGE_ARCHITECTURE: CPack asks dpkg --print-architecture.

set(CPACK_DEBIAN_TOOL_PACKAGE_NAME vfiokit)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION admin)
# The shared libraries the programs load (libc6, libstdc++6, libfmt9, libpci3, ...)
# come from dpkg-shlibdeps; `vfiokit bind` runs modprobe.
set(CPACK_DEBIAN_TOOL_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_TOOL_PACKAGE_RECOMMENDS kmod)
set(CPACK_DEBIAN_TOOL_DESCRIPTION "userspace VFIO driver toolkit: the vfiokit command
vfiokit takes a PCI device bound to vfio-pci and proves, through the real
kernel, that userspace owns it: BARs mapped, DMA through the IOMMU, interrupts
delivered, isolation enforced. This package holds the vfiokit command (list,
check, bind, probe, info), vfiokit-guest-check (validates a device passed
through to a virtual machine), the vfiokit(1) man page and the JSON schemas of
their reports.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libvfiokit-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# libvfiokit.a needs only the C++ runtime (no fmt: vfio/format.hpp), which a C++
# compiler brings, so libvfiokit-dev depends on nothing.
set(CPACK_DEBIAN_DEV_DESCRIPTION "userspace VFIO driver toolkit: static library and headers
libvfiokit wraps VFIO for C++20 programs: IOMMU contexts (container/type1 and
iommufd), devices, regions and BARs, config space, interrupts, resets, DMA
buffers and mappings, and userspace drivers (edu, NVMe). This package holds
the static library, its headers, the CMake package (find_package(vfiokit),
target vfiokit::vfiokit) and vfiokit.pc for pkg-config.")

include(CPack)
