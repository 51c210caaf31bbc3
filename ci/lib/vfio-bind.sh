# ci/lib/vfio-bind.sh: the one shell implementation of moving a PCI device to vfio-pci
# and back the way vfiokit does it (driver_override + drivers_probe, never new_id), for
# the scripts that cannot call `vfiokit bind`: the test-bed guest's PID 1 (ci/vm/init,
# where ci/vm/run installs this file as /etc/vfiokit/vfio-bind.sh) and
# bench/passthrough/run's `--bind sysfs`. POSIX sh (busybox ash included); sourced, it
# defines functions only. No journal: the callers remember the original driver.

# vfio_driver_of BDF: the device's driver, "none" without one.
vfio_driver_of() {
  _vfio_link=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) && basename "$_vfio_link" ||
    echo none
}

# vfio_bind BDF: unbinds the device from its driver, sets driver_override to vfio-pci and
# asks the kernel to probe it. Returns 0 when it is on vfio-pci; else 1 with the reason
# in $vfio_bind_error ("unbinding BDF from DRIVER failed", "writing .../driver_override
# failed", "BDF is on 'DRIVER' after binding, not vfio-pci (...)").
# shellcheck disable=SC2034 # vfio_bind_error is for the caller
vfio_bind() {
  vfio_bind_error=
  _vfio_dev=/sys/bus/pci/devices/$1
  _vfio_was=$(vfio_driver_of "$1")
  if [ "$_vfio_was" != none ]; then
    echo "$1" > "$_vfio_dev/driver/unbind" || {
      vfio_bind_error="unbinding $1 from $_vfio_was failed"
      return 1
    }
  fi
  echo vfio-pci > "$_vfio_dev/driver_override" || {
    vfio_bind_error="writing $_vfio_dev/driver_override failed"
    return 1
  }
  # drivers_probe fails when no driver takes the device; the driver link says so below.
  echo "$1" > /sys/bus/pci/drivers_probe 2>/dev/null
  _vfio_now=$(vfio_driver_of "$1")
  [ "$_vfio_now" = vfio-pci ] || {
    vfio_bind_error="$1 is on '$_vfio_now' after binding, not vfio-pci (is the IOMMU on? dmesg says why)"
    return 1
  }
}

# vfio_unbind BDF ORIG: gives the device back: unbinds it, clears driver_override and,
# unless ORIG is "none", lets the kernel probe it again (its ID-matched driver, ORIG).
# Returns 0 when it ends on ORIG.
vfio_unbind() {
  _vfio_dev=/sys/bus/pci/devices/$1
  [ ! -e "$_vfio_dev/driver" ] || echo "$1" > "$_vfio_dev/driver/unbind"
  echo > "$_vfio_dev/driver_override"
  [ "$2" = none ] || echo "$1" > /sys/bus/pci/drivers_probe 2>/dev/null
  [ "$(vfio_driver_of "$1")" = "$2" ]
}
