# vfiokit's VM tests (tools/), registered when it is built: tests/vm/vfiokit_vm_test.sh
# (carried as bin/vfiokit-vm-test) runs vfiokit inside test-bed guests and asserts on its
# output, exit status and the devices' drivers.
if(NOT TARGET vfiokit)
  return()
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/vfiokit_vm_test.sh ${CMAKE_BINARY_DIR}/bin/vfiokit-vm-test
  COPYONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
  WORLD_READ WORLD_EXECUTE)

# check: a passthrough-ready guest passes.
# ARG: the VFIO interfaces each kernel offers (host.vfio_backends, issue #25): Debian's
# has no iommufd and no cdev, the iommufd kernel both beside type1, the compat kernel's
# container is iommufd's emulation.
vfiokit_add_vm_test(NAME vm.vfiokit.check.stock.edu KERNEL stock IOMMU intel DEVICES edu
  COMMAND vfiokit-vm-test check-edu "container /dev/vfio/vfio \\(type1, type1v2\\)$")
# With pci.ids carried in, list must name the device (libpci lookup).
vfiokit_add_vm_test(NAME vm.vfiokit.check.stock.nvme KERNEL stock IOMMU intel DEVICES nvme
  RUNNER_ARGS --file /usr/share/misc/pci.ids:/usr/share/misc/pci.ids
  COMMAND vfiokit-vm-test check-nvme)
vfiokit_add_vm_test(NAME vm.vfiokit.check.iommufd.edu KERNEL iommufd IOMMU intel DEVICES edu
  COMMAND vfiokit-vm-test check-edu
    "container /dev/vfio/vfio \\(type1, type1v2\\); iommufd /dev/iommu; cdev /dev/vfio/devices$")
vfiokit_add_vm_test(NAME vm.vfiokit.check.compat.edu KERNEL compat IOMMU intel DEVICES edu
  COMMAND vfiokit-vm-test check-edu
    "container /dev/vfio/vfio \\(iommufd compat\\); iommufd /dev/iommu; cdev /dev/vfio/devices$")
# IOMMU off: FAIL with the hint naming the parameter (edu:kernel: nothing for vfio-pci
# to bind). `--iommu intel` makes ci/vm/run put intel_iommu=on *after* APPEND, and the
# last one wins, so the VT-d unit is added by hand (IOMMU none + the QEMU device; TCG
# needs no split irqchip) to boot with DMAR present and intel_iommu=off last.
vfiokit_add_vm_test(NAME vm.vfiokit.check.intel_iommu_off KERNEL stock IOMMU none
  DEVICES edu:kernel APPEND intel_iommu=off
  RUNNER_ARGS --qemu-arg -device --qemu-arg intel-iommu,intremap=on
  COMMAND vfiokit-vm-test check-iommu-off intel_iommu=off)
# iommu=off wins over the runner's intel_iommu=on.
vfiokit_add_vm_test(NAME vm.vfiokit.check.iommu_off KERNEL stock IOMMU intel DEVICES edu:kernel
  APPEND iommu=off COMMAND vfiokit-vm-test check-iommu-off iommu=off)

# An IOMMU that remaps interrupts but translates no DMA (issue #25): QEMU's VT-d with
# dma-translation=off, added by hand like above (the runner's intel IOMMU translates).
vfiokit_add_vm_test(NAME vm.vfiokit.check.no_dma_translation KERNEL stock IOMMU none
  DEVICES edu:kernel APPEND intel_iommu=on
  RUNNER_ARGS --qemu-arg -device --qemu-arg intel-iommu,intremap=on,dma-translation=off
  COMMAND vfiokit-vm-test check-no-translation)

# A BAR the host cannot place (issue #25): ivshmem-plain's 64 GiB BAR2 under 36 CPU
# physical address bits (reserve=off: the backend takes no host memory).
vfiokit_add_vm_test(NAME vm.vfiokit.check.bar_unplaced KERNEL stock IOMMU intel
  RUNNER_ARGS --qemu-arg -cpu --qemu-arg max,phys-bits=36
    --qemu-arg -object --qemu-arg memory-backend-ram,id=hm,size=64G,reserve=off
    --qemu-arg -device --qemu-arg ivshmem-plain,memdev=hm,addr=06.0
  COMMAND vfiokit-vm-test bar-unplaced)

# bind / unbind / restore of the NVMe from the kernel nvme driver and back.
vfiokit_add_vm_test(NAME vm.vfiokit.bind.stock.nvme KERNEL stock IOMMU intel DEVICES nvme:kernel
  COMMAND vfiokit-vm-test bind-cycle)
# A mounted filesystem blocks bind (iommufd kernel: nvme and ext2 built in).
vfiokit_add_vm_test(NAME vm.vfiokit.in_use.iommufd.nvme KERNEL iommufd IOMMU intel
  DEVICES nvme:kernel COMMAND vfiokit-vm-test in-use)
# Issue #23 on the stock kernel: btrfs (by mount source), swap and an O_EXCL holder refused
# even with --force; unbind/restore refused while a process holds the VFIO group; two
# binds at once serialize. Drivers and the namespace's sha256 unchanged by each refusal.
# crc32c_generic first: btrfs and libcrc32c name it only as a softdep (modules.softdep).
vfiokit_add_vm_test(NAME vm.vfiokit.in_use_real_host.stock.nvme KERNEL stock IOMMU intel
  DEVICES nvme:kernel edu TIMEOUT 600
  RUNNER_ARGS --module crc32c_generic --module btrfs --file /usr/sbin/mkfs.btrfs:/sbin/mkfs.btrfs
  COMMAND vfiokit-vm-test in-use-real-host)
# IOMMU group with a companion on a host driver: edu + e1000e behind a PCIe-to-PCI
# bridge (the GPU + audio function case): check FAIL naming it, bind --group refusal
# while its interface is up, probe failing then passing, restore of both.
vfiokit_add_vm_test(NAME vm.vfiokit.group.stock.edu_e1000e KERNEL stock IOMMU intel
  RUNNER_ARGS --module e1000e --qemu-arg -device --qemu-arg pcie-pci-bridge,id=br1
    --qemu-arg -device --qemu-arg edu,bus=br1,addr=1 --qemu-arg -netdev --qemu-arg user,id=n9
    --qemu-arg -device --qemu-arg e1000e,netdev=n9,bus=br1,addr=2
  COMMAND vfiokit-vm-test group)
# A multi-function slot (issue #25): edu at 05.0 and an NVMe at 05.1 on the nvme driver
# share a group; check names the function, bind --group takes both, probe proves
# ownership, restore gives the NVMe back (a null-co drive: no image file needed).
vfiokit_add_vm_test(NAME vm.vfiokit.group.stock.multifunction KERNEL stock IOMMU intel
  RUNNER_ARGS --module nvme
    --qemu-arg -blockdev --qemu-arg null-co,node-name=mf1,size=67108864,read-zeroes=on
    --qemu-arg -device --qemu-arg edu,addr=05.0,multifunction=on
    --qemu-arg -device --qemu-arg nvme,serial=mf1,drive=mf1,addr=05.1
  COMMAND vfiokit-vm-test multifunction)
# probe is non-destructive by default, on 512 and 4096 byte logical blocks.
vfiokit_add_vm_test(NAME vm.vfiokit.probe_preserves_data.stock.nvme512 KERNEL stock IOMMU intel
  DEVICES nvme:kernel TIMEOUT 600 COMMAND vfiokit-vm-test probe-nvme-preserves-data)
vfiokit_add_vm_test(NAME vm.vfiokit.probe_preserves_data.stock.nvme4096 KERNEL stock IOMMU intel
  DEVICES nvme:kernel TIMEOUT 600
  RUNNER_ARGS --qemu-arg -global --qemu-arg nvme.logical_block_size=4096
    --qemu-arg -global --qemu-arg nvme.physical_block_size=4096
  COMMAND vfiokit-vm-test probe-nvme-preserves-data)
# Hostile and mistaken inputs: exit status, message, no driver changed (docs/bad-input.md).
vfiokit_add_vm_test(NAME vm.vfiokit.bad_input.stock KERNEL stock IOMMU intel
  DEVICES edu nvme:kernel TIMEOUT 600 COMMAND vfiokit-vm-test bad-input)
# Reset soak (issue #25): an NVMe and an e1000e behind PCIe root ports (so they have a
# bus to reset too), 20 cycles of each method, an injected broken reset.
vfiokit_add_vm_test(NAME vm.vfiokit.soak.stock.nvme_e1000e KERNEL stock IOMMU intel
  TIMEOUT 600
  RUNNER_ARGS --module nvme --module e1000e
    --file ${PROJECT_SOURCE_DIR}/docs/schema/report.schema.json:/vfiokit/report.schema.json
    --qemu-arg -device --qemu-arg pcie-root-port,id=rp1,chassis=1
    --qemu-arg -device --qemu-arg pcie-root-port,id=rp2,chassis=2
    --qemu-arg -blockdev --qemu-arg null-co,node-name=sk1,size=67108864,read-zeroes=on
    --qemu-arg -device --qemu-arg nvme,serial=sk1,drive=sk1,bus=rp1
    --qemu-arg -netdev --qemu-arg user,id=sk2 --qemu-arg -device --qemu-arg e1000e,netdev=sk2,bus=rp2
  COMMAND vfiokit-vm-test soak)
# A device that stops answering mid-soak (issue #25): an NVMe behind a PCIe root port, its
# link taken down at cycle 4 and later its slot powered off at cycle 2, from inside the guest.
vfiokit_add_vm_test(NAME vm.vfiokit.soak_removed.stock.nvme KERNEL stock IOMMU intel
  TIMEOUT 600
  RUNNER_ARGS --module nvme
    --file ${PROJECT_SOURCE_DIR}/docs/schema/report.schema.json:/vfiokit/report.schema.json
    --qemu-arg -device --qemu-arg pcie-root-port,id=rp1,chassis=1
    --qemu-arg -blockdev --qemu-arg null-co,node-name=sr1,size=67108864,read-zeroes=on
    --qemu-arg -device --qemu-arg nvme,serial=sr1,drive=sr1,bus=rp1
  COMMAND vfiokit-vm-test soak-removed)
# kill -9 at every step of bind, then restore.
vfiokit_add_vm_test(NAME vm.vfiokit.kill.stock.nvme KERNEL stock IOMMU intel DEVICES nvme:kernel
  TIMEOUT 600 COMMAND vfiokit-vm-test kill)

# vfiokit trace around a probe: the map and unmap of its DMA buffer (issue #26).
vfiokit_add_vm_test(NAME vm.vfiokit.trace.stock.edu KERNEL stock IOMMU intel DEVICES edu
  COMMAND vfiokit-vm-test trace)
vfiokit_add_vm_test(NAME vm.vfiokit.trace.iommufd.unavailable KERNEL iommufd IOMMU intel
  COMMAND vfiokit-vm-test trace unavailable)

# probe: the ownership proof over every backend each kernel offers.
vfiokit_add_vm_test(NAME vm.vfiokit.probe.stock.edu.container KERNEL stock IOMMU intel DEVICES edu
  COMMAND vfiokit-vm-test probe-edu container)
vfiokit_add_vm_test(NAME vm.vfiokit.probe.stock.edu.type1 KERNEL stock IOMMU intel DEVICES edu
  COMMAND vfiokit-vm-test probe-edu container-type1)
vfiokit_add_vm_test(NAME vm.vfiokit.probe.iommufd.edu.iommufd KERNEL iommufd IOMMU intel DEVICES edu
  COMMAND vfiokit-vm-test probe-edu iommufd)
vfiokit_add_vm_test(NAME vm.vfiokit.probe.iommufd.edu.container KERNEL iommufd IOMMU intel
  DEVICES edu COMMAND vfiokit-vm-test probe-edu container)
# The probe must be able to fail: a backend the stock kernel lacks.
vfiokit_add_vm_test(NAME vm.vfiokit.probe.stock.edu.no_iommufd_fails KERNEL stock IOMMU intel
  DEVICES edu WILL_FAIL COMMAND vfiokit-vm-test probe-edu iommufd)
if(EXISTS ${PROJECT_SOURCE_DIR}/include/vfiokit/drivers/nvme/nvme.hpp)
  vfiokit_add_vm_test(NAME vm.vfiokit.probe.stock.nvme.container KERNEL stock IOMMU intel
    DEVICES nvme TIMEOUT 600 COMMAND vfiokit-vm-test probe-nvme container)
  vfiokit_add_vm_test(NAME vm.vfiokit.probe.iommufd.nvme.iommufd KERNEL iommufd IOMMU intel
    DEVICES nvme TIMEOUT 600 COMMAND vfiokit-vm-test probe-nvme iommufd)
else()
  message(STATUS "vfiokit: drivers/nvme absent, the probe-on-NVMe VM tests are not registered")
endif()

# The fleet outputs (check --nfd/--prometheus) of a clean device and a non-viable group,
# through promtool, prometheus-node-exporter and prometheus on the host (docs/fleet.md).
if(VFIOKIT_VM_TESTS)
  add_test(NAME vm.fleet.prometheus_roundtrip
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/prometheus_roundtrip ${CMAKE_BINARY_DIR})
  set_tests_properties(vm.fleet.prometheus_roundtrip PROPERTIES LABELS "fleet;vm" TIMEOUT 420
    ENVIRONMENT "VFIOKIT_TEST=vm.fleet.prometheus_roundtrip;VFIOKIT_BUILD_DIR=${CMAKE_BINARY_DIR}")
endif()
# The agent's view (deploy/kubernetes/daemonset.yaml mounts no /dev): in a guest with
# /dev/vfio/vfio, /dev/iommu and a vfio-pci device, check under a root of read-only
# /sys, /proc, /lib/modules and no /dev gives the same verdicts and node labels.
vfiokit_add_vm_test(NAME vm.fleet.agent_without_dev.iommufd KERNEL iommufd IOMMU intel DEVICES edu
  RUNNER_ARGS --file ${CMAKE_CURRENT_LIST_DIR}/agent_without_dev.sh
  COMMAND sh /vfiokit/agent_without_dev.sh)

# vfiokit info --iommu-tables (issue #26): the IOMMU's own page table (VT-d debugfs, built
# into the iommufd kernel) checked against vfiokit's mappings over both backends, a wrong
# expectation failing; on Debian's kernel (no CONFIG_INTEL_IOMMU_DEBUGFS) a SKIP naming it.
vfiokit_add_vm_test(NAME vm.vfiokit.iommu_tables.iommufd.intel KERNEL iommufd IOMMU intel
  DEVICES edu COMMAND vfiokit-vm-test iommu-tables check)
vfiokit_add_vm_test(NAME vm.vfiokit.iommu_tables.stock.skip KERNEL stock IOMMU intel
  DEVICES edu COMMAND vfiokit-vm-test iommu-tables skip)
