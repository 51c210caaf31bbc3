# Kernel UAPI headers. Debian 12's linux-libc-dev (6.1) has no linux/iommufd.h and
# lacks the 6.12 VFIO cdev ioctls; the project's kernel build installs 6.12 ones
# (ci/vm/build-kernel headers). Without them only the container backend is built.
include(CheckCXXSourceCompiles)
add_library(vfiokit_uapi INTERFACE)
if(VFIOKIT_UAPI_INCLUDE)
  if(NOT EXISTS ${VFIOKIT_UAPI_INCLUDE}/linux/vfio.h)
    message(FATAL_ERROR "VFIOKIT_UAPI_INCLUDE=${VFIOKIT_UAPI_INCLUDE} has no linux/vfio.h")
  endif()
  target_include_directories(vfiokit_uapi SYSTEM BEFORE INTERFACE ${VFIOKIT_UAPI_INCLUDE})
  set(CMAKE_REQUIRED_INCLUDES ${VFIOKIT_UAPI_INCLUDE})
endif()
check_cxx_source_compiles("
#include <linux/iommufd.h>
#include <linux/vfio.h>
int main() { return VFIO_DEVICE_BIND_IOMMUFD + IOMMU_GET_HW_INFO + VFIO_DEVICE_ATTACH_IOMMUFD_PT; }"
  VFIOKIT_HAVE_IOMMUFD)
unset(CMAKE_REQUIRED_INCLUDES)
if(VFIOKIT_HAVE_IOMMUFD)
  target_compile_definitions(vfiokit_uapi INTERFACE VFIOKIT_HAVE_IOMMUFD=1)
  message(STATUS "vfiokit: iommufd backend enabled (UAPI: ${VFIOKIT_UAPI_INCLUDE})")
else()
  target_compile_definitions(vfiokit_uapi INTERFACE VFIOKIT_HAVE_IOMMUFD=0)
  message(WARNING "vfiokit: no iommufd UAPI headers; building the container backend only. "
                  "Pass -DVFIOKIT_UAPI_INCLUDE=$(ci/vm/build-kernel headers)")
endif()
