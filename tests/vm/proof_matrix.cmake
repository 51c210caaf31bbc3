# Your kernel on the test bed (issue #26): ci/vm/proof-matrix boots a kernel given by path —
# the project's compat kernel, passed as a file, not by name — and prints the ownership
# proof's table (mode x IOMMU x device); the test checks the table: ten PASS rows (edu and
# NVMe over the five modes: type1, type1v2 (/dev/vfio/vfio: iommufd's emulation there),
# iommufd_compat_type1, iommufd_compat_type1v2, iommufd), no FAIL.
if(VFIOKIT_VM_TESTS AND VFIOKIT_HAVE_IOMMUFD)
  add_test(NAME vm.proof.kernel_path.compat
    COMMAND sh -c "out=$(${PROJECT_SOURCE_DIR}/ci/vm/proof-matrix --kernel \"$(${PROJECT_SOURCE_DIR}/ci/vm/build-kernel compat)\" --iommu intel --bin ${CMAKE_BINARY_DIR}/bin) || { echo \"$out\"; exit 1; }; echo \"$out\"; for m in type1 type1v2 iommufd_compat_type1 iommufd_compat_type1v2 iommufd; do for d in edu nvme; do echo \"$out\" | grep -Eq \"^$m +intel +$d +PASS \" || { echo \"no PASS row for $m $d\"; exit 1; }; done; done")
  set_tests_properties(vm.proof.kernel_path.compat PROPERTIES LABELS vm TIMEOUT 900)
endif()
