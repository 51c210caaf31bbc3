# The VFIO/iommufd DMA uAPI at its corners (tests/vm/uapi_corners_test.cpp, issue #26): every
# mode each kernel offers, on an NVMe with a controller memory buffer (the BAR mapped for
# DMA). Debian's kernel: type1, type1v2; the iommufd kernel: those and native iommufd;
# the compat kernel: iommufd's emulation of both container types and native iommufd.
# ci/uapi-table turns their rows into docs/library.md's table.
add_executable(vm_uapi_corners_test vm/uapi_corners_test.cpp)
target_link_libraries(vm_uapi_corners_test PRIVATE vm_test_support GTest::gtest_main)
foreach(kernel stock iommufd compat)
  if(kernel STREQUAL "compat")
    set(kind compat)
  else()
    set(kind type1)
  endif()
  vfiokit_add_vm_test(NAME vm.uapi.${kernel}.intel KERNEL ${kernel} IOMMU intel DEVICES nvme
    RUNNER_ARGS --qemu-arg -global --qemu-arg nvme.cmb_size_mb=2
    COMMAND env VFIOKIT_CONTAINER_KIND=${kind} vm_uapi_corners_test)
endforeach()
