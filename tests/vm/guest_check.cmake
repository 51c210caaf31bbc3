# vfiokit-guest-check (guest-tests/) in test-bed guests; registered when it is built.
if(NOT TARGET vfiokit-guest-check)
  return()
endif()

# The runner against emulated devices. A WARN exits 1 (docs/cli.md),
# so every device-level check must PASS (or SKIP: QEMU's q35 devices on pcie.0 are
# integrated endpoints without a link).
vfiokit_add_vm_test(NAME vm.guest_check.stock.intel KERNEL stock IOMMU intel
  DEVICES nvme:kernel e1000e:kernel
  COMMAND vfiokit-guest-check --device 1b36:0010 --device 8086:10d3 --json -)
vfiokit_add_vm_test(NAME vm.guest_check.iommufd.intel KERNEL iommufd IOMMU intel
  DEVICES nvme:kernel e1000e:kernel
  COMMAND vfiokit-guest-check --device 1b36:0010 --device 8086:10d3)
# A device bound to vfio-pci and idle: driver PASS when expected, MSI-X off is a WARN
# (exit 1).
vfiokit_add_vm_test(NAME vm.guest_check.vfio_pci_idle_warns KERNEL stock IOMMU intel DEVICES nvme
  COMMAND sh -c "vfiokit-guest-check --device 1b36:0010 --expect-driver vfio-pci > /tmp/out || rc=$? && cat /tmp/out && test \"$rc\" = 1 && grep -q 'PASS .* driver .*bound to vfio-pci' /tmp/out && grep -q 'WARN .* msix .*disabled' /tmp/out && grep -q '0 FAIL, .*: exit 1$' /tmp/out")
# Checks that must FAIL: the wrong driver bound, a device that is not there. The
# runner must exit 2 (a FAIL verdict, not a crash or a usage error) and say why.
vfiokit_add_vm_test(NAME vm.guest_check.wrong_driver_fails KERNEL stock IOMMU intel
  DEVICES nvme:kernel
  COMMAND sh -c "vfiokit-guest-check --device 1b36:0010 --expect-driver vfio-pci > /tmp/out || rc=$? && cat /tmp/out && test \"$rc\" = 2 && grep -q 'FAIL .* driver .*bound to nvme, expected vfio-pci' /tmp/out")
vfiokit_add_vm_test(NAME vm.guest_check.missing_device_fails KERNEL stock IOMMU intel
  DEVICES nvme:kernel
  COMMAND sh -c "vfiokit-guest-check --device 0000:00:1f.7 > /tmp/out || rc=$? && cat /tmp/out && test \"$rc\" = 2 && grep -q 'FAIL .* present' /tmp/out")
