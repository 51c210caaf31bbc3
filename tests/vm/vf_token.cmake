# SR-IOV VF tokens (tests/vm/vf_token_test.cpp, issue #26): an NVMe with SR-IOV behind a
# PCIe root port, its PF bound to vfio-pci by the test with one VF enabled
# (vfio_pci.enable_sriov=1: vfio-pci is built into the project's kernels), over the
# container (type1v2 / iommufd's emulation) and native iommufd.
add_executable(vm_vf_token_test vm/vf_token_test.cpp)
target_link_libraries(vm_vf_token_test PRIVATE vm_test_support GTest::gtest_main)
foreach(kernel iommufd compat)
  if(kernel STREQUAL "compat")
    set(kind compat)
  else()
    set(kind type1)
  endif()
  vfiokit_add_vm_test(NAME vm.vf_token.${kernel}.intel KERNEL ${kernel} IOMMU intel
    APPEND vfio_pci.enable_sriov=1
    RUNNER_ARGS --qemu-arg -device --qemu-arg pcie-root-port,id=vfrp,chassis=3
      --qemu-arg -device --qemu-arg nvme-subsys,id=vfsub,nqn=vfiokit-vf
      --qemu-arg -device
      --qemu-arg nvme,serial=vfpf,subsys=vfsub,bus=vfrp,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2
    COMMAND sh -c "VFIOKIT_CONTAINER_KIND=${kind} vm_vf_token_test && vfiokit-vm-test sriov")
endforeach()
