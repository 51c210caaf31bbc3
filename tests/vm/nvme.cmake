# The NVMe driver suite (tests/vm/nvme_driver_test.cpp) on QEMU's emulated nvme.
add_executable(vm_nvme_driver_test vm/nvme_driver_test.cpp)
target_link_libraries(vm_nvme_driver_test PRIVATE vm_test_support GTest::gtest_main)

# IOMMU isolation on NVMe is the ownership proof's (tests/vm/proof_test.cpp, vm.proof.*;
# here on virtio-iommu in the same boot, one mode: QEMU 7.2's virtio-iommu leaves a
# second blocked NVMe read in the same guest unlogged).
vfiokit_add_vm_test(NAME vm.nvme.stock.intel KERNEL stock IOMMU intel DEVICES nvme TIMEOUT 600
  COMMAND env VFIOKIT_BACKENDS=container,container-type1 vm_nvme_driver_test)
vfiokit_add_vm_test(NAME vm.nvme.iommufd.intel KERNEL iommufd IOMMU intel DEVICES nvme TIMEOUT 600
  COMMAND env VFIOKIT_BACKENDS=iommufd,container vm_nvme_driver_test)
vfiokit_add_vm_test(NAME vm.nvme.compat.intel KERNEL compat IOMMU intel DEVICES nvme TIMEOUT 600
  COMMAND env VFIOKIT_BACKENDS=container vm_nvme_driver_test)
vfiokit_add_vm_test(NAME vm.nvme.stock.virtio KERNEL stock IOMMU virtio DEVICES nvme TIMEOUT 600
  COMMAND sh -c "env VFIOKIT_PROOF_DEVICES=nvme VFIOKIT_PROOF_MODES=type1v2 vm_proof_test --gtest_filter=*nvme_type1v2 && env VFIOKIT_BACKENDS=container vm_nvme_driver_test")
# The map-once DMA pool under real NVMe I/O: data checked, no map call across the I/O.
vfiokit_add_vm_test(NAME vm.nvme.dma_pool.stock.intel KERNEL stock IOMMU intel DEVICES nvme
  TIMEOUT 600 COMMAND VFIOKIT_BACKENDS=container,container-type1
  vm_nvme_driver_test --gtest_filter=*PoolBuffersAreMappedOnceAcrossIo*)
vfiokit_add_vm_test(NAME vm.nvme.dma_pool.iommufd.intel KERNEL iommufd IOMMU intel DEVICES nvme
  TIMEOUT 600 COMMAND VFIOKIT_BACKENDS=iommufd,container
  vm_nvme_driver_test --gtest_filter=*PoolBuffersAreMappedOnceAcrossIo*)
# Its negative control: a buffer mapped per round must fail the map counts.
vfiokit_add_vm_test(NAME vm.nvme.dma_pool.map_per_io_fails KERNEL stock IOMMU intel DEVICES nvme
  TIMEOUT 600 WILL_FAIL COMMAND VFIOKIT_BACKENDS=container VFIOKIT_POOL_MAP_PER_IO=1
  vm_nvme_driver_test --gtest_filter=*PoolBuffersAreMappedOnceAcrossIo*)
